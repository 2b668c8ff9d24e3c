/**
 * The collector in a process of its own, started by a benchmark with `startCollector` options
 * (JSON in argv[2]). Tells its URL once listening; answers `status` with the writer's status and
 * its own memory; `close` shuts it down as SIGTERM would (writes what it holds first).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { startCollector } from '@aitdr/collector';
import type { StartCollectorOptions } from '@aitdr/collector';
import type { TableExporterStatus } from '@aitdr/exporter';
import { childArgument, tellParent } from '../harness/child-process.js';

export type CollectorMessage =
  | { type: 'started'; url: string; pid: number }
  | {
      type: 'status';
      writer: TableExporterStatus;
      memory: NodeJS.MemoryUsage;
      cpu: NodeJS.CpuUsage;
      /** The main thread's event loop: time busy and idle so far (ms). */
      eventLoop: { readonly active: number; readonly idle: number };
      /** The main thread's own CPU so far (ms), without the SQLite thread's; undefined off Linux. */
      mainThreadCpuMs: number | undefined;
      /**
       * Every thread's CPU so far (ms), by thread (the main thread as `main`), when
       * asked for (`threads`: read at the start and end only, not at every poll); empty off Linux.
       */
      threadCpuMs: Record<string, number>;
    }
  | { type: 'closed' };

/** A thread's name and CPU (user + system, ms) from Linux's per-thread accounting; undefined off Linux. */
function threadCpu(tid: string): { name: string; ms: number } | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the name (which may hold spaces): utime and stime are the 12th and 13th, in
    // clock ticks of 1/100 s (USER_HZ, fixed at 100 for user space).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return { name, ms: (Number(fields[11]) + Number(fields[12])) * 10 };
  } catch {
    return undefined;
  }
}

/**
 * The main thread's CPU: the event loop's busy share counts time it was runnable but not running
 * (the cores are shared with the clients), this does not.
 */
function mainThreadCpuMs(): number | undefined {
  return threadCpu(String(process.pid))?.ms;
}

/** CPU per thread: the main thread, the SQLite thread, V8's helpers (GC, compiler), libuv's pool. */
function threadCpuMs(): Record<string, number> {
  const byThread: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return byThread;
  }
  for (const tid of tids) {
    const thread = threadCpu(tid);
    if (thread === undefined) continue;
    // Most threads share one name ("node"): each is told apart by its ID.
    const name = tid === String(process.pid) ? 'main' : `${thread.name}:${tid}`;
    byThread[name] = (byThread[name] ?? 0) + thread.ms;
  }
  return byThread;
}

const collector = await startCollector({
  ...childArgument<StartCollectorOptions>(),
  port: 0,
  logger: false,
  ownsProcess: true,
});
tellParent({ type: 'started', url: collector.url, pid: process.pid });

process.on('message', (message: { type: string; threads?: boolean }) => {
  if (message.type === 'status') {
    tellParent({
      type: 'status',
      writer: collector.exporter.status(),
      memory: process.memoryUsage(),
      cpu: process.cpuUsage(),
      eventLoop: performance.eventLoopUtilization(),
      mainThreadCpuMs: mainThreadCpuMs(),
      threadCpuMs: message.threads === true ? threadCpuMs() : {},
    });
  } else if (message.type === 'close') {
    void collector.close().then(() => {
      tellParent({ type: 'closed' });
      process.disconnect();
    });
  }
});
