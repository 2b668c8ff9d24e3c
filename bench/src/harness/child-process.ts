/**
 * Child processes of the benchmarks: TypeScript run from source (tsx, the `aitdr-source`
 * condition), talking over IPC, so a collector or a client has a process (and a heap, an RSS)
 * of its own, as in production.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SOURCE_EXEC_ARGV = ['--conditions=aitdr-source', '--import', 'tsx'] as const;

export interface Child<Message> {
  readonly process: ChildProcess;
  /** The next message matching `type`. */
  next<T extends Message>(type: string, timeoutMs?: number): Promise<T>;
  send(message: unknown): void;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
}

/** Forks `script` (a path relative to this package's src/) with `argument` as JSON in argv[2]. */
export function forkSource<Message extends { type: string }>(
  script: string,
  argument: unknown,
  extraExecArgv: readonly string[] = [],
): Child<Message> {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const child = fork(path, [JSON.stringify(argument)], {
    execArgv: [...SOURCE_EXEC_ARGV, ...extraExecArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: Message[] = [];
  const waiters: { type: string; resolve(message: Message): void }[] = [];
  child.on('message', (message: Message) => {
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message);
    else inbox.push(message);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    process: child,
    exited,
    send: (message) => child.send(message as never),
    next<T extends Message>(type: string, timeoutMs = 120_000): Promise<T> {
      const index = inbox.findIndex((m) => m.type === type);
      if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0] as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${script}: no ${type} message within ${timeoutMs} ms`)),
          timeoutMs,
        );
        timer.unref();
        void exited.then((code) => reject(new Error(`${script} exited (${code}) before sending ${type}`)));
        waiters.push({
          type,
          resolve: (message) => {
            clearTimeout(timer);
            resolve(message as T);
          },
        });
      });
    },
  };
}

/** Sends a message to the parent (the IPC channel is there in every forked child). */
export function tellParent(message: { type: string } & Record<string, unknown>): void {
  process.send?.(message);
}

/** The JSON argument a forked child was given. */
export function childArgument<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

/** Reads a process's resident set (and its peak) from /proc, in bytes; Linux only. */
export async function residentSet(pid: number): Promise<{ rss: number; peak: number }> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const value = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    // A process that has exited but is not yet reaped (a zombie) has no memory lines: it is gone,
    // like one whose file has vanished (a NaN here once made a run's peak RSS NaN, then null).
    if (value === undefined) throw new Error(`process ${pid} has exited`);
    return Number(value);
  };
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 };
}
