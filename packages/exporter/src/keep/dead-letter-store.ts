/**
 * Traces the store refused for their data, or that waited too long for their query, kept with the
 * reason in `dead-letters.jsonl` (one JSON object per line, fsync'd) for a person to inspect, fix
 * and replay (`TableExporter.replayDeadLetters`, the `aitdr-dead-letters` command). Only a replay
 * removes a letter, once its trace is kept again.
 */
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import type { SpanRecord } from '../mapping/span-record.js';

export const DEAD_LETTER_FILE = 'dead-letters.jsonl';

const log = diag.createComponentLogger({ namespace: '@aitdr/exporter' });

export interface DeadLetter {
  /** When the trace was set aside (ISO-8601). */
  readonly deadLetteredAt: string;
  readonly traceId: string;
  readonly reason: string;
  /** The database error, when the database refused the trace. */
  readonly error?: { readonly message: string; readonly code?: string | number };
  /** The trace's spans as received, so it can be replayed once fixed. */
  readonly spans: readonly SpanRecord[];
}

export class DeadLetterStore {
  private file: Promise<{ handle: FileHandle; size: number }> | undefined;
  private exclusive: Promise<unknown> = Promise.resolve();

  constructor(
    readonly directory: string,
    private readonly maxBytes: number,
  ) {}

  /** Appends the letters durably; rejects (keeping none of them) when they would pass `maxBytes`. */
  add(letters: readonly DeadLetter[]): Promise<void> {
    return this.serialized(async () => {
      const file = await (this.file ??= this.openFile().catch((error: unknown) => {
        this.file = undefined; // try again next time (the directory may become writable)
        throw error;
      }));
      const text = letters.map((letter) => `${JSON.stringify(letter)}\n`).join('');
      const bytes = Buffer.byteLength(text);
      if (file.size + bytes > this.maxBytes) {
        throw new Error(
          `dead-letter file ${join(this.directory, DEAD_LETTER_FILE)} is full (${this.maxBytes} bytes)`,
        );
      }
      await file.handle.appendFile(text);
      await file.handle.datasync();
      file.size += bytes;
    });
  }

  /** The letters kept now, each with its line as written (what `remove` takes). */
  read(): Promise<StoredDeadLetter[]> {
    return this.serialized(() => readStoredLetters(this.directory));
  }

  /** Removes the letters written as these lines; the file is replaced atomically (write, fsync, rename). */
  remove(lines: ReadonlySet<string>): Promise<void> {
    return this.serialized(async () => {
      const kept = (await readLines(this.directory)).filter((line) => !lines.has(line));
      const path = join(this.directory, DEAD_LETTER_FILE);
      const text = kept.map((line) => `${line}\n`).join('');
      const next = `${path}.next`;
      await mkdir(this.directory, { recursive: true });
      await writeFile(next, text, { flush: true });
      // The open handle points at the old file: close it first, the next add opens the new one.
      const file = await this.file?.catch(() => undefined);
      this.file = undefined;
      await file?.handle.close();
      await rename(next, path);
      const folder = await open(this.directory, 'r');
      try {
        await folder.sync(); // the rename itself must survive a crash
      } finally {
        await folder.close();
      }
    });
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(work);
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.exclusive;
    const file = await this.file?.catch(() => undefined);
    this.file = undefined;
    await file?.handle.close();
  }

  private async openFile(): Promise<{ handle: FileHandle; size: number }> {
    await mkdir(this.directory, { recursive: true });
    const path = join(this.directory, DEAD_LETTER_FILE);
    const handle = await open(path, 'a+');
    let size = (await stat(path)).size;
    if (size > 0) {
      // An append a crash cut short leaves a line without its newline: end it, so the next letter
      // starts a line of its own instead of being glued to the broken one.
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        await handle.appendFile('\n');
        await handle.datasync();
        size += 1;
      }
    }
    return { handle, size };
  }
}

/** A dead letter with the line it was written as. */
export interface StoredDeadLetter {
  readonly letter: DeadLetter;
  readonly line: string;
}

async function readLines(directory: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(directory, DEAD_LETTER_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text.split('\n').filter((line) => line.trim() !== '');
}

/**
 * The letters that parse. A line that does not (the tail of an append a crash cut short) is
 * skipped with a warning, never removed: it is left for a person to read.
 */
async function readStoredLetters(directory: string): Promise<StoredDeadLetter[]> {
  const letters: StoredDeadLetter[] = [];
  for (const line of await readLines(directory)) {
    try {
      letters.push({ letter: JSON.parse(line) as DeadLetter, line });
    } catch {
      log.warn(
        `${join(directory, DEAD_LETTER_FILE)}: skipped a line that is not JSON (${line.length} characters)`,
      );
    }
  }
  return letters;
}

/** Reads the dead letters kept in `directory` (for tooling and tests). */
export async function readDeadLetters(directory: string): Promise<DeadLetter[]> {
  return (await readStoredLetters(directory)).map(({ letter }) => letter);
}
