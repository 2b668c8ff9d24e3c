import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { TABLES } from '@aitdr/schema';
import { startCollector } from '@aitdr/collector';
import { renderDemoSummary, runDemo, runDemoCommand } from '@aitdr/cli';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { runCommand as run } from '../support/run-command.js';

/** The summary's table rows: table name → [sent, added, stored]. */
function summaryRows(stdout: string): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const match of stdout.matchAll(/│ (AI_\w+)\s+│\s+(\d+) │\s+(\d+) │\s+(\d+) │/g)) {
    rows.set(match[1]!, [Number(match[2]), Number(match[3]), Number(match[4])]);
  }
  return rows;
}

describe('aitdr-demo', () => {
  const dir = createTemporaryDirectory('aitdr-cli-demo-');
  afterAll(() => dir.remove());
  const paths = (name: string) => [
    '--store',
    `sqlite:${join(dir.path, `${name}.db`)}`,
    '--sample-db',
    join(dir.path, `${name}-sample.db`),
    '--state-dir',
    join(dir.path, `${name}-state`),
  ];

  it('records in-process into a new SQLite file and reports what it sent and what is stored', async () => {
    const { code, stdout, stderr } = await run(runDemoCommand, ['--in-process', '-n', '25', ...paths('a')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Recorded 25 questions');
    expect(stdout).toContain('sent to the table exporter, in-process');
    const rows = summaryRows(stdout);
    expect([...rows.keys()]).toEqual(TABLES.map((t) => t.name));
    for (const [table, [sent, added, stored]] of rows) {
      expect(added, table).toBe(sent);
      expect(stored, table).toBe(sent);
    }
    expect(rows.get('AI_TRAINING_QUERIES')).toEqual([25, 25, 25]);
    const db = new Database(join(dir.path, 'a.db'), { readonly: true });
    const count = db.prepare('SELECT COUNT(*) AS n FROM AI_USER_FEEDBACK').get() as { n: number };
    db.close();
    expect(count.n).toBe(rows.get('AI_USER_FEEDBACK')![0]);
    expect(stdout).toMatch(/Next:\n {2}npm run export -- --store 'sqlite:.*a\.db'/);
  });

  it('adds to a store that already holds a run, and says how many rows this run added', async () => {
    const { code, stdout } = await run(runDemoCommand, [
      '--in-process',
      '-n',
      '10',
      '--seed',
      '5',
      ...paths('a'),
    ]);
    expect(code).toBe(0);
    expect(summaryRows(stdout).get('AI_TRAINING_QUERIES')).toEqual([10, 10, 35]);
  });

  it('sends to a collector already running, which writes what the demo sent', async () => {
    const store = `sqlite:${join(dir.path, 'external.db')}`;
    const collector = await startCollector({
      store,
      port: 0,
      stateDirectory: join(dir.path, 'external-collector'),
      waitMs: 50,
    });
    let result;
    try {
      result = await run(runDemoCommand, [
        '-n',
        '12',
        '--collector-url',
        `${collector.url}/v1/traces`,
        ...paths('external'),
      ]);
    } finally {
      await collector.close();
    }
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`sent to ${collector.url}/v1/traces`);
    // The summary may have read the store before the collector's wait was over; now it is closed.
    const db = new Database(join(dir.path, 'external.db'), { readonly: true });
    try {
      for (const [table, [sent]] of summaryRows(result.stdout)) {
        expect((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n, table).toBe(sent);
      }
    } finally {
      db.close();
    }
  });

  it('stops cleanly when interrupted, stores what it recorded, and exits with 130', async () => {
    const interrupted = new AbortController();
    // Interrupted while the seventh question is recorded: the progress bar sees each one end.
    let asked = 0;
    const progress = {
      start: () => undefined,
      increment: () => {
        if (++asked === 7) interrupted.abort();
      },
      stop: () => undefined,
    };
    const result = await runDemo({
      queries: 200,
      seed: 42,
      store: `sqlite:${join(dir.path, 'c.db')}`,
      sampleDatabase: join(dir.path, 'c-sample.db'),
      days: 14,
      transport: { kind: 'in-process' },
      realTime: false,
      stateDirectory: join(dir.path, 'c-state'),
      progress,
      signal: interrupted.signal,
    });
    expect([result.questions, result.planned]).toEqual([7, 200]);
    const printed = renderDemoSummary(result);
    expect(printed).toMatch(/^Recorded 7 questions \(stopped: 200 were planned\)/);
    for (const [table, [sent, added, stored]] of summaryRows(printed)) {
      expect(added, table).toBe(sent);
      expect(stored, table).toBe(sent);
    }
    expect(summaryRows(printed).get('AI_TRAINING_QUERIES')).toEqual([7, 7, 7]);

    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const code = await runDemoCommand(['--in-process', ...paths('d')], {
      stdout,
      stderr,
      signal: AbortSignal.abort(),
    });
    expect(code).toBe(130);
  });

  it('does not replace a file that is not a sample database, nor the store', async () => {
    const precious = join(dir.path, 'precious.db');
    writeFileSync(precious, 'quarterly figures');
    const other = await run(runDemoCommand, ['--in-process', ...paths('b'), '--sample-db', precious]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      `aitdr-demo: ${precious} is not a sample database the demo made; not replacing it (choose another --sample-db)\n`,
    );
    expect(readFileSync(precious, 'utf8')).toBe('quarterly figures');
    const same = await run(runDemoCommand, [
      '--in-process',
      ...paths('a'),
      '--sample-db',
      join(dir.path, 'a.db'),
    ]);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/^aitdr-demo: the sample database and the store are the same file/);
  });

  it('fails before recording when the store cannot be reached', async () => {
    const { code, stdout, stderr } = await run(runDemoCommand, [
      '--in-process',
      ...paths('unreachable'),
      '--store',
      'postgres://demo:secret@127.0.0.1:1/none',
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'aitdr-demo: cannot open postgres://demo:***@127.0.0.1:1/none: connect ECONNREFUSED 127.0.0.1:1\n',
    );
  });

  it.each([
    ['through the collector, which forwards', []],
    ['in-process, the SDK sending', ['--in-process']],
  ])('sends every span to Jaeger too: %s', async (_how, mode) => {
    const received: { path: string | undefined; type: string | undefined; bytes: number }[] = [];
    const jaeger = createServer((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        received.push({ path: request.url, type: request.headers['content-type'], bytes });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((listening) => jaeger.listen(0, '127.0.0.1', listening));
    const { port } = jaeger.address() as AddressInfo;
    try {
      const name = `jaeger${mode.length}`;
      const url = `http://127.0.0.1:${port}/v1/traces`;
      const { code, stderr } = await run(runDemoCommand, [
        ...mode,
        '-n',
        '5',
        '--jaeger',
        url,
        ...paths(name),
      ]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(received.length).toBeGreaterThan(0);
      expect(received.every((r) => r.path === '/v1/traces' && r.bytes > 0)).toBe(true);
    } finally {
      await new Promise((closed) => jaeger.close(closed));
    }
  });

  it.each([
    [
      ['-n', '0'],
      /^aitdr-demo: option '-n, --queries <count>' argument '0' is invalid\. expected a whole number of 1 or more\n$/,
    ],
    [
      ['--store', 'mysql://db/x'],
      /^aitdr-demo: option '--store <url>' argument 'mysql:\/\/db\/x' is invalid\. unsupported store URL/,
    ],
    [
      ['--in-process', '--collector-url', 'http://127.0.0.1:4318/v1/traces'],
      /cannot be used with option '--in-process'/,
    ],
    [['--collector-url', 'localhost:4318'], /expected an http:\/\/ or https:\/\/ URL/],
    [
      ['--jaeger', 'ftp://jaeger'],
      /^aitdr-demo: option '--jaeger \[url\]' argument 'ftp:\/\/jaeger' is invalid/,
    ],
    [['--frobnicate'], /^aitdr-demo: unknown option '--frobnicate'\n$/],
  ])('refuses %j with one line on stderr and exit code 2', async (argv, message) => {
    const { code, stdout, stderr } = await run(runDemoCommand, [...argv, ...paths('refused')]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
