/** What every dialect's failure classification shares: errors of the network under the driver. */
import { StoreConfigurationError } from './store-errors.js';

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** A socket-level failure (refused, reset, unreachable, DNS), also inside an AggregateError or a `cause`. */
export function isNetworkError(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== 'object' || error === null) return false;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isNetworkError(e, depth + 1))) return true;
  return isNetworkError(cause, depth + 1);
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const DRIVER_LOAD_CODES = new Set(['MODULE_NOT_FOUND', 'ERR_MODULE_NOT_FOUND', 'ERR_DLOPEN_FAILED']);
const DRIVER_LOAD_MESSAGES =
  /NODE_MODULE_VERSION|Could not locate the bindings file|Cannot find (module|package)|compiled against a different Node/;

/** A driver package that is not installed, or whose native part was built for another Node.js. */
export function isDriverLoadFailure(error: unknown): boolean {
  const code = errorCode(error);
  return (
    (code !== undefined && DRIVER_LOAD_CODES.has(code)) || DRIVER_LOAD_MESSAGES.test(errorMessage(error))
  );
}

/**
 * The store's database driver cannot be loaded: a configuration problem, never bad data. The
 * store writer counts it as the store being unavailable (the traces are spooled, status says
 * unhealthy); at start-up it stops `createTableExporter`.
 */
export class DriverUnavailableError extends StoreConfigurationError {
  override readonly name = 'DriverUnavailableError';

  constructor(
    readonly packageName: string,
    cause: unknown,
  ) {
    const fix = `install it beside @aitdr/exporter (npm install ${packageName}), built for this Node.js (${process.version})`;
    super(`the database driver ${packageName} cannot be loaded: ${errorMessage(cause)}; ${fix}`, fix, {
      cause,
    });
  }
}

/** Loads a driver, turning a load failure into DriverUnavailableError. */
export async function loadDriver<T>(packageName: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw isDriverLoadFailure(error) ? new DriverUnavailableError(packageName, error) : error;
  }
}
