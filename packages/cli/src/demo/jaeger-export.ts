/**
 * The demo's own Jaeger exporter when the SDK sends to Jaeger directly (in-process, or to an
 * external collector): the SDK's exporter reports failures only to diag, so a Jaeger that is not
 * running went unnoticed. This one counts each request and keeps the last failure for the summary.
 */
import { ExportResultCode } from '@aitdr/conventions';
import type { ExportResult } from '@aitdr/conventions';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ForwardingStatus } from '@aitdr/collector';

export class CountingJaegerExporter implements SpanExporter {
  private readonly exporter: OTLPTraceExporter;
  private readonly counts = { forwarded: 0, failed: 0, skipped: 0 };
  private lastFailure: string | undefined;

  constructor(readonly url: string) {
    this.exporter = new OTLPTraceExporter({ url });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exporter.export(spans, (result: ExportResult) => {
      if (result.code === ExportResultCode.SUCCESS) this.counts.forwarded += 1;
      else {
        this.counts.failed += 1;
        this.lastFailure = describe(result.error);
      }
      resultCallback(result);
    });
  }

  status(): ForwardingStatus {
    return { url: this.url, ...this.counts, ...(this.lastFailure ? { lastFailure: this.lastFailure } : {}) };
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush();
  }
}

function describe(error: Error | undefined): string {
  if (error === undefined) return 'unknown error';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message;
  return detail && !error.message.includes(detail) ? `${error.message}: ${detail}` : error.message;
}
