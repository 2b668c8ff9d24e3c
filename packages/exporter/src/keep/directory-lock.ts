/**
 * One process at a time per state directory.
 *
 * The lock is held by the kernel, not by a file: the holder listens on a local socket whose name
 * is derived from the directory (an abstract Unix socket on Linux, a named pipe on Windows).
 * Binding a name is atomic, so of two starters exactly one wins, and the kernel releases the name
 * when its process dies however it dies: there is no stale lock to take over, and no PID to
 * compare (a PID from a previous container run, PID 1 included, says nothing). The `lock` file
 * beside it only tells people (and error messages) which process holds the directory; it is
 * written whole (temporary file, then rename) and never decides anything.
 *
 * Abstract sockets belong to a network namespace: two containers sharing a volume but not a
 * network namespace do not see each other's locks. On other systems (no abstract sockets), the
 * `lock` file is the lock, a weaker one: created atomically with its PID already in it, a dead
 * holder's file moved aside by rename.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, readFile, realpath, rename, unlink, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';

export interface DirectoryLock {
  release(): Promise<void>;
}

const LOCK_FILE = 'lock';

/** The socket name of a directory, or undefined where the system has no self-releasing names. */
function socketName(directory: string): string | undefined {
  const digest = createHash('sha256').update(directory).digest('hex').slice(0, 40);
  if (process.platform === 'linux') return `\0aitdr-state-${digest}`;
  if (process.platform === 'win32') return `\\\\?\\pipe\\aitdr-state-${digest}`;
  return undefined;
}

async function holderOf(directory: string): Promise<string> {
  const pid = (await readFile(join(directory, LOCK_FILE), 'utf8').catch(() => '')).trim();
  return /^\d+$/.test(pid) ? `process ${pid}` : 'another process';
}

/** Asks the process holding `name` for its PID (the lock file may still name a previous holder). */
function askHolder(name: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(name);
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(/^\d+$/.test(answer) ? `process ${answer}` : undefined));
  });
}

/** Writes `content` to `path` whole: other readers see the old file or the new one, never a part. */
async function writeWhole(path: string, content: string): Promise<string> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(temporary, content, { flag: 'wx' });
  return temporary;
}

function listen(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(undefined);
      else reject(error);
    });
    server.listen(name, () => {
      server.removeAllListeners('error');
      // A connection is told the holder's PID, for the loser's error message. A caller that hangs
      // up first (a loser giving up after its timeout) makes that write fail with EPIPE: without a
      // listener the error would end this process, the lock's holder.
      server.on('connection', (socket) => {
        socket.on('error', () => undefined);
        socket.end(String(process.pid));
      });
      server.unref();
      resolve(server);
    });
  });
}

/**
 * Locks `directory` (an absolute path of an existing directory) for this process, or throws
 * naming the process that holds it.
 */
export async function lockDirectory(directory: string): Promise<DirectoryLock> {
  const real = await realpath(directory);
  const name = socketName(real);
  if (name === undefined) return lockWithFile(real);
  const server = await listen(name);
  if (server === undefined) {
    const holder = (await askHolder(name)) ?? (await holderOf(real));
    throw new Error(`spool ${directory} is in use by ${holder}`);
  }
  const path = join(real, LOCK_FILE);
  try {
    await rename(await writeWhole(path, String(process.pid)), path);
  } catch (error) {
    server.close();
    throw error;
  }
  return {
    release: async () => {
      await unlink(path).catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The fallback where no self-releasing name exists: the `lock` file itself, created with `link`. */
async function lockWithFile(directory: string): Promise<DirectoryLock> {
  const path = join(directory, LOCK_FILE);
  const mine = await writeWhole(path, String(process.pid));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(mine, path); // fails when the file exists: never two holders, never an empty file
        return { release: () => unlink(path).catch(() => undefined) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(`spool ${directory} is in use by process ${holder}`);
      }
      // Stale: move it aside under a name of our own and retry the link. Best effort: a starter
      // that read the stale PID just before another took over can still move the new file aside,
      // which the socket lock above rules out (this path is not run by the tests, on Linux).
      await rename(path, `${mine}.stale`)
        .then(() => unlink(`${mine}.stale`))
        .catch(() => undefined);
    }
    throw new Error(`spool ${directory} is in use by ${await holderOf(directory)}`);
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}
