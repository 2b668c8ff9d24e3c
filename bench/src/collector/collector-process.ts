/**
 * The collector in a process of its own, started by a benchmark with `startCollector` options
 * (JSON in argv[2]). Tells its URL once listening; answers `status` with the writer's status and
 * its own memory; `close` shuts it down as SIGTERM would (writes what it holds first).
 */
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
    }
  | { type: 'closed' };

const collector = await startCollector({
  ...childArgument<StartCollectorOptions>(),
  port: 0,
  logger: false,
  ownsProcess: true,
});
tellParent({ type: 'started', url: collector.url, pid: process.pid });

process.on('message', (message: { type: string }) => {
  if (message.type === 'status') {
    tellParent({
      type: 'status',
      writer: collector.exporter.status(),
      memory: process.memoryUsage(),
      cpu: process.cpuUsage(),
      eventLoop: performance.eventLoopUtilization(),
    });
  } else if (message.type === 'close') {
    void collector.close().then(() => {
      tellParent({ type: 'closed' });
      process.disconnect();
    });
  }
});
