import { once } from 'node:events';

/**
 * Closes a driver's row stream that a reader left before its end, waiting until it has closed,
 * so its cursor is released before the connection goes back to the pool.
 */
export async function closeStream(
  stream: { readonly closed: boolean; destroy(): unknown } & NodeJS.EventEmitter,
): Promise<void> {
  if (stream.closed) return;
  const closed = once(stream, 'close').catch(() => undefined);
  stream.destroy();
  await closed;
}
