/**
 * Where a durable spool's oldest unacknowledged record is. The file `head` holds two 16-byte
 * slots, `[u64 sequence][u32 crc32][u32 0]`, written in turn: an acknowledgement is one write and
 * one data sync (no temporary file, rename and directory sync). A crash tearing the slot being
 * written leaves the other with the head before it, so records are at worst read once more, never
 * lost; an acknowledgement had not resolved then, so nobody was told they were gone. A spool
 * written by an earlier version has `head.json`: it is read, and removed once a new head is durable.
 */
import { constants } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const HEAD_FILE = 'head';
const LEGACY_HEAD_FILE = 'head.json';
const SLOT_BYTES = 16;

export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class SpoolHead {
  private constructor(
    private readonly directory: string,
    /** The slot the next head is written to: the one not holding the newest head. */
    private nextSlot: number,
    private legacy: boolean,
    /** Counts each fsync made (what `DurableSpool.syncs` reports). */
    private readonly synced: () => void,
  ) {}

  /** Reads the head in `directory`; resolves with it (1 when none was written) and the writer of the next. */
  static async open(directory: string, synced: () => void): Promise<{ sequence: number; head: SpoolHead }> {
    const slots = await readSlots(join(directory, HEAD_FILE));
    const legacy = await readLegacyHead(directory);
    const newest = Math.max(...slots.map((s) => s ?? 0));
    const sequence = Math.max(newest, legacy ?? 0, 1);
    const nextSlot = newest > 0 && slots[0] === newest ? 1 : 0;
    return { sequence, head: new SpoolHead(directory, nextSlot, legacy !== undefined, synced) };
  }

  /** Makes `sequence` the durable head. */
  async write(sequence: number): Promise<void> {
    const slot = Buffer.alloc(SLOT_BYTES);
    slot.writeBigUInt64LE(BigInt(sequence), 0);
    slot.writeUInt32LE(crc32(slot.subarray(0, 8)), 8);
    const { handle, created } = await openHeadFile(join(this.directory, HEAD_FILE));
    try {
      await handle.write(slot, 0, SLOT_BYTES, this.nextSlot * SLOT_BYTES);
      await handle.datasync();
      this.synced();
    } finally {
      await handle.close();
    }
    if (created) {
      // The new file's directory entry must be durable too (once, when it is made).
      await fsyncDirectory(this.directory);
      this.synced();
    }
    this.nextSlot = 1 - this.nextSlot;
    if (this.legacy) {
      await unlink(join(this.directory, LEGACY_HEAD_FILE)).catch(() => undefined);
      this.legacy = false;
    }
  }
}

async function openHeadFile(path: string): Promise<{ handle: FileHandle; created: boolean }> {
  try {
    return { handle: await open(path, 'r+'), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { handle: await open(path, 'w+'), created: true };
  }
}

/** Each slot's sequence, undefined where it was never written or is torn. */
async function readSlots(path: string): Promise<(number | undefined)[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [undefined, undefined];
    throw error;
  }
  return [0, 1].map((index) => {
    const slot = bytes.subarray(index * SLOT_BYTES, (index + 1) * SLOT_BYTES);
    if (slot.length < SLOT_BYTES || crc32(slot.subarray(0, 8)) !== slot.readUInt32LE(8)) return undefined;
    const sequence = Number(slot.readBigUInt64LE(0));
    return Number.isSafeInteger(sequence) && sequence > 0 ? sequence : undefined;
  });
}

async function readLegacyHead(directory: string): Promise<number | undefined> {
  try {
    const { sequence } = JSON.parse(await readFile(join(directory, LEGACY_HEAD_FILE), 'utf8')) as {
      sequence: number;
    };
    return Number.isSafeInteger(sequence) && sequence > 0 ? sequence : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
