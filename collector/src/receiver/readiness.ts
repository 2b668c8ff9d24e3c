/** What the receivers report about this instance: readiness (`/ready`, gRPC health) and health (`/health`). */
export type Checks = Readonly<Record<string, { readonly ok: boolean; readonly detail?: string }>>;

/**
 * What `/ready` (and the gRPC health service) reports: whether this instance can accept and keep
 * data. A store outage alone does not make it unready: the spool keeps traces until the store is
 * back, and a balancer that took every instance out during an outage would lose them instead.
 */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Checks;
}

/** What `/health` reports besides liveness: the state of what the collector writes to. */
export interface Health {
  /** True when the store takes writes now; false while traces wait on the spool. */
  readonly storeHealthy: boolean;
  readonly checks: Checks;
}
