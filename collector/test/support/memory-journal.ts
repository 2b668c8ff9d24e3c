import type { IntakeJournal, JournalId } from '../../src/assembler/intake-journal.js';

/** Journal kept in memory: the assembler's contract with it, not durability, is under test here. */
export class MemoryJournal implements IntakeJournal {
  readonly records = new Map<JournalId, Buffer>();
  private next = 1;
  failAppends = false;

  append(record: Buffer): Promise<JournalId> {
    if (this.failAppends) return Promise.reject(new Error('journal is full'));
    const id = this.next++;
    this.records.set(id, record);
    return Promise.resolve(id);
  }
  acknowledge(id: JournalId): Promise<void> {
    this.records.delete(id);
    return Promise.resolve();
  }
  async *replay() {
    for (const [id, payload] of [...this.records]) yield await Promise.resolve({ id, payload });
  }
  get bytes() {
    return [...this.records.values()].reduce((sum, r) => sum + r.length, 0);
  }
  close() {
    return Promise.resolve();
  }
}
