import type { SpanRecord } from '@aitdr/conventions';
import { intakeRecords } from '../../src/otlp/decode-trace-request.js';
import type { BackpressureError, IntakeRequest, TraceIntake } from '../../src/assembler/intake-port.js';

/** Records what a receiver accepted; can be told to push back. */
export class RecordingIntake implements TraceIntake {
  readonly accepted: IntakeRequest[] = [];
  pushBack?: BackpressureError;

  accept(request: IntakeRequest): Promise<void> {
    if (this.pushBack) return Promise.reject(this.pushBack);
    this.accepted.push(request);
    return Promise.resolve();
  }

  get spans(): readonly SpanRecord[] {
    return this.accepted.flatMap((request) => intakeRecords(request.spans));
  }
}
