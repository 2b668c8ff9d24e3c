/**
 * A TCP proxy on 127.0.0.1 between the exporter and the local PostgreSQL server, to cut the
 * connection in the middle of the traffic and restore it, as a network outage would.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private up = true;
  private cutAfterBytes: number | undefined;
  private forwarded = 0;
  private onCut: (() => void) | undefined;
  /** Connections refused while the proxy was down. */
  refused = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server, target);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves once `bytes` more bytes have gone from the clients to the server, and then cuts. */
  cutAfter(bytes: number): Promise<void> {
    this.cutAfterBytes = this.forwarded + bytes;
    return new Promise((resolve) => (this.onCut = resolve));
  }

  /** Resets every open connection and refuses new ones until `restore()`. */
  cut(): void {
    this.up = false;
    this.cutAfterBytes = undefined;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    this.onCut?.();
    this.onCut = undefined;
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (!this.up) {
      this.refused += 1;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      this.forwarded += chunk.length;
      if (this.cutAfterBytes !== undefined && this.forwarded >= this.cutAfterBytes) this.cut();
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  }
}
