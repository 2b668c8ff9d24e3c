/**
 * A TableExporter writing to the local PostgreSQL through a TcpProxy the test can cut, refuse or
 * stall, with a state directory of its own: the set-up of the resilience tests.
 */
import { TableExporter } from '@aitdr/exporter';
import type { TableExporterOptions } from '@aitdr/exporter';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { postgresStore } from '@aitdr/tests/support/stores.js';
import type { StoreUnderTest } from '@aitdr/tests/support/stores.js';
import { TcpProxy } from '@aitdr/tests/support/tcp-proxy.js';

export interface ExporterBehindProxy {
  readonly store: StoreUnderTest;
  readonly proxy: TcpProxy;
  readonly exporter: TableExporter;
  /** Shuts the exporter down, closes the proxy and the store, removes the state directory. */
  close(): Promise<void>;
}

/** `options` gets the store's URL pointed at the proxy. */
export async function exporterBehindProxy(
  directoryPrefix: string,
  options: (proxiedUrl: string) => Omit<TableExporterOptions, 'stateDirectory'>,
): Promise<ExporterBehindProxy> {
  const store = await postgresStore();
  const { proxy, url } = await TcpProxy.before(store.url);
  const dir = createTemporaryDirectory(directoryPrefix);
  let exporter: TableExporter;
  try {
    exporter = new TableExporter({ ...options(url), stateDirectory: dir.path });
  } catch (error) {
    // A failed set-up leaves nothing behind either.
    await proxy.close();
    await store.close();
    dir.remove();
    throw error;
  }
  return {
    store,
    proxy,
    exporter,
    async close() {
      await exporter.shutdown();
      await proxy.close();
      await store.close();
      dir.remove();
    },
  };
}
