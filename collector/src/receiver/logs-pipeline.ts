/**
 * The OTLP logs export pipeline: decode, count, hand the span events to the intake (durable
 * before the answer). Authentication and the failure table are the trace pipeline's
 * (`export-pipeline.ts`), so both signals answer alike. Log records that name no span are counted
 * and ignored: the recorder keeps what belongs to a recorded trace.
 */
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { OtlpEncoding } from '../otlp/encode-response.js';
import { decodeLogsRequest, logsRejectionMessage } from '../otlp/logs-decode.js';
import type { LogsPartialSuccess } from '../otlp/logs-response.js';
import type { LogsIntake } from '../assembler/intake-port.js';

const PREFIX = 'aitdr_collector_';

/** The logs receiver's counters, on the collector's registry (one set per registry: both transports share it). */
export class LogsMetrics {
  private static readonly byRegistry = new WeakMap<Registry, LogsMetrics>();
  readonly received: Counter;
  readonly rejected: Counter;
  readonly withoutSpan: Counter;

  static of(registry: Registry, intake: LogsIntake): LogsMetrics {
    let metrics = LogsMetrics.byRegistry.get(registry);
    if (metrics === undefined)
      LogsMetrics.byRegistry.set(registry, (metrics = new LogsMetrics(registry, intake)));
    return metrics;
  }

  private constructor(registry: Registry, intake: LogsIntake) {
    const registers = [registry];
    this.received = new Counter({
      name: `${PREFIX}log_records_received_total`,
      help: 'Log records received.',
      registers,
    });
    this.rejected = new Counter({
      name: `${PREFIX}log_records_rejected_total`,
      help: 'Log records rejected as invalid (partial success).',
      registers,
    });
    this.withoutSpan = new Counter({
      name: `${PREFIX}log_records_without_span_total`,
      help: 'Log records naming no span: accepted and ignored.',
      registers,
    });
    for (const [name, help, read] of [
      [
        'log_events_attached_total',
        'Log records added as events to their span before it was written.',
        () => intake.logEventCounts().attached,
      ],
      [
        'log_events_unattached_total',
        'Log records naming a span that could not be attached (trace already written, or its spans never came).',
        () => intake.logEventCounts().unattached,
      ],
    ] as const) {
      new Counter({
        name: PREFIX + name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    }
  }
}

export interface LogsExportOutcome {
  readonly partialSuccess?: LogsPartialSuccess;
  readonly reasons: readonly string[];
}

export class LogsPipeline {
  constructor(
    private readonly intake: LogsIntake,
    private readonly metrics: LogsMetrics,
  ) {}

  /** Decodes a request and hands its span events to the intake; resolves once they are durable. */
  async export(encoding: OtlpEncoding, body: Buffer): Promise<LogsExportOutcome> {
    const decoded = decodeLogsRequest(encoding, body);
    this.metrics.received.inc(decoded.events.length + decoded.withoutSpan + decoded.rejected);
    this.metrics.rejected.inc(decoded.rejected);
    this.metrics.withoutSpan.inc(decoded.withoutSpan);
    if (decoded.events.length > 0) await this.intake.acceptLogs({ encoding, body, events: decoded.events });
    return decoded.rejected > 0
      ? {
          partialSuccess: {
            rejectedLogRecords: decoded.rejected,
            errorMessage: logsRejectionMessage(decoded),
          },
          reasons: decoded.reasons,
        }
      : { reasons: [] };
  }
}
