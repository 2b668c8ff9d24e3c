/**
 * The demo's time. By default simulated: the stand-in models report latencies without waiting,
 * and the run records each question at an arrival time of its own over past days; stages that
 * do real work (parsing, executing SQL) take their real duration on top. With `realTime` the
 * latencies are waited out and everything happens now.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface DemoClock {
  /** Epoch milliseconds (with a fraction). */
  now(): number;
  /** Moves the simulated time to `epochMs`; the real clock stays where it is. */
  jumpTo(epochMs: number): void;
  /** Lets `ms` pass: at once in simulated time, really in real time. */
  wait(ms: number): Promise<void>;
  /** The clock the recorder reads, or undefined for OpenTelemetry's own (real time). */
  readonly recorderClock: (() => number) | undefined;
  readonly simulated: boolean;
}

const realNow = () => performance.timeOrigin + performance.now();

/** Runs with the real clock, shifted by an offset that jumps and waits move. */
export class SimulatedClock implements DemoClock {
  readonly simulated = true;
  private offsetMs = 0;

  readonly recorderClock = (): number => this.now();

  now(): number {
    return realNow() + this.offsetMs;
  }

  jumpTo(epochMs: number): void {
    this.offsetMs = epochMs - realNow();
  }

  wait(ms: number): Promise<void> {
    this.offsetMs += ms;
    return Promise.resolve();
  }
}

export class RealClock implements DemoClock {
  readonly simulated = false;
  readonly recorderClock = undefined;

  now(): number {
    return realNow();
  }

  jumpTo(): void {}

  wait(ms: number): Promise<void> {
    return sleep(ms);
  }
}
