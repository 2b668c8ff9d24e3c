/**
 * A TCP proxy on 127.0.0.1 between a store client (the exporter, the collector) and the local
 * PostgreSQL server, to fault the network as an outage or a flaky link would: cut every
 * connection and refuse new ones until restored, or break a share of transactions at random.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Where a broken transaction is broken: at its first statement, just before its COMMIT reaches
 * the server (the server rolls back), or just after (the server committed; the client never hears).
 */
export type TransactionFault = 'first-statement' | 'before-commit' | 'after-commit';

export interface FlakyOptions {
  /** Share of transactions broken, 0 to 1. */
  readonly probability: number;
  /** Uniform in [0, 1); seeded by the test so a failure reproduces. */
  readonly random: () => number;
}

// The PostgreSQL simple-query messages pg sends for a transaction's bounds: 'Q', int32 length, text, NUL.
const simpleQuery = (text: string) => {
  const body = Buffer.from(`${text}\0`);
  const header = Buffer.alloc(5);
  header.write('Q', 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
};
const BEGIN = simpleQuery('BEGIN');
const COMMIT = simpleQuery('COMMIT');
const ROLLBACK = simpleQuery('ROLLBACK');
/** In a statement's text: a batch that only inserts is sent as one statement, outside BEGIN. */
const INSERT = Buffer.from('INSERT INTO');
const FAULTS: readonly TransactionFault[] = ['first-statement', 'before-commit', 'after-commit'];

export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private up = true;
  private stalled = false;
  private cutAfterBytes: number | undefined;
  private forwarded = 0;
  private onCut: (() => void) | undefined;
  private flaky: FlakyOptions | undefined;
  /** Connections refused while the proxy was down. */
  refused = 0;
  /** Transactions broken on purpose, by where. */
  readonly faults: Record<TransactionFault, number> = {
    'first-statement': 0,
    'before-commit': 0,
    'after-commit': 0,
  };
  /** Transactions that began while flaky, broken or not. */
  transactions = 0;

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

  /** A proxy in front of the server of a `postgres://` URL, and that URL pointed at the proxy. */
  static async before(url: string): Promise<{ proxy: TcpProxy; url: string }> {
    const target = new URL(url);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${proxy.port}`;
    return { proxy, url: target.toString() };
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
    if (this.stalled) {
      this.stalled = false;
      // Their bytes were swallowed: no protocol can go on over them.
      for (const socket of this.sockets) socket.resetAndDestroy();
      this.sockets.clear();
    }
  }

  /**
   * A server that stopped answering: open connections and new ones (accepted) stay open, but
   * nothing goes through in either direction until `restore()`.
   */
  stall(): void {
    this.stalled = true;
  }

  /** From now on, breaks each transaction with the given probability, at a random point; `steady()` ends it. */
  flake(options: FlakyOptions): void {
    this.flaky = options;
  }

  steady(): void {
    this.flaky = undefined;
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
    let doomed: TransactionFault | undefined;
    let commitSent = false;
    /** Inside BEGIN … COMMIT/ROLLBACK; outside it each statement is a transaction of its own. */
    let explicit = false;
    const breakConnection = (fault: TransactionFault) => {
      this.faults[fault] += 1;
      doomed = undefined;
      client.resetAndDestroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes(BEGIN)) explicit = true;
      else if (chunk.includes(COMMIT) || chunk.includes(ROLLBACK)) explicit = false;
      if (this.flaky && !explicit && doomed === undefined && !commitSent && chunk.includes(INSERT)) {
        // A statement of its own is its first statement and its commit at once: broken before it
        // reaches the server (counted as either of the first two kinds), or after the server answered.
        this.transactions += 1;
        const { probability, random } = this.flaky;
        const fault = random() < probability ? FAULTS[Math.floor(random() * FAULTS.length)] : undefined;
        if (fault === 'after-commit') commitSent = true;
        else if (fault !== undefined) {
          breakConnection(fault);
          return;
        }
      } else if (this.flaky && chunk.includes(BEGIN)) {
        this.transactions += 1;
        const { probability, random } = this.flaky;
        doomed = random() < probability ? FAULTS[Math.floor(random() * FAULTS.length)] : undefined;
      } else if (doomed === 'first-statement' || (doomed === 'before-commit' && chunk.includes(COMMIT))) {
        breakConnection(doomed);
        return;
      } else if (doomed === 'after-commit' && chunk.includes(COMMIT)) {
        commitSent = true;
      }
      if (this.stalled) return;
      upstream.write(chunk);
      this.forwarded += chunk.length;
      if (this.cutAfterBytes !== undefined && this.forwarded >= this.cutAfterBytes) this.cut();
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.stalled) return;
      if (commitSent) {
        commitSent = false;
        breakConnection('after-commit');
        return;
      }
      client.write(chunk);
    });
  }
}
