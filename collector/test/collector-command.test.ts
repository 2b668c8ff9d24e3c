/**
 * The `aitdr-collector` command run in-process, as a function of its arguments, environment and
 * streams: what a user sees on stdout and stderr, the exit codes, and a collector that starts,
 * answers and stops. (That the bin exits with these codes on signals is checked with real
 * processes in e2e/one-per-directory.test.ts and e2e/crash.test.ts.)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCollectorCommand } from '../src/collector-command.js';
import type { CollectorCommandHandle } from '../src/collector-command.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

function capturingIo() {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

async function run(argv: string[], env: Record<string, string> = {}) {
  const out = capturingIo();
  const result = await startCollectorCommand(argv, env, out.io);
  return { ...out, result };
}

describe('aitdr-collector command line', () => {
  const dir = createTemporaryDirectory('aitdr-collector-command-');
  afterAll(() => dir.remove());

  it('prints help and exits 0', async () => {
    const { result, stdout } = await run(['--help']);
    expect(result).toBe(0);
    expect(stdout()).toMatch(/^Usage: aitdr-collector \[options\]/);
    // Every setting that has a default shows it, the store and the spool directory included.
    expect(stdout()).toContain('[AITDR_STORE, default sqlite:./data/training.db]');
    expect(stdout()).toContain(
      '[AITDR_COLLECTOR_STATE_DIR, default ./data/collector/<dialect>-<hash of the store URL>]',
    );
    expect(stdout()).toContain('[AITDR_TRACE_WAIT_MS, default 1000]');
  });

  it('exits 2 with one line on stderr for a bad flag or a bad setting', async () => {
    const flag = await run(['--prot', '1']);
    expect(flag.result).toBe(2);
    expect(flag.stderr().split('\n')[0]).toMatch(/^aitdr-collector: Unknown option '--prot'/);
    const setting = await run(['--port', 'many']);
    expect(setting.result).toBe(2);
    expect(setting.stderr()).toMatch(/^aitdr-collector: invalid configuration: AITDR_COLLECTOR_PORT: .*\n$/);
  });

  it('reads its settings from the environment it is given, flags winning', async () => {
    const { result, stderr } = await run(['--grpc-port', 'off'], { AITDR_COLLECTOR_PORT: 'many' });
    expect(result).toBe(2);
    expect(stderr()).toMatch(/^aitdr-collector: invalid configuration: AITDR_COLLECTOR_PORT: /);
    const overridden = await run(['--port', 'x'], { AITDR_COLLECTOR_PORT: '0' });
    expect(overridden.stderr()).toMatch(/AITDR_COLLECTOR_PORT: /);
  });

  it('starts, logs JSON to stdout, answers, and stops with exit code 0', async () => {
    const store = `sqlite:${join(dir.path, 'training.db')}`;
    const { result, stdout, stderr } = await run(
      ['--port', '0', '--grpc-port', 'off', '--state-dir', join(dir.path, 'state')],
      { AITDR_STORE: store, AITDR_LOG_LEVEL: 'info' },
    );
    expect(stderr()).toBe('');
    const handle = result as CollectorCommandHandle;
    expect(handle.collector.config.store).toBe(store);
    expect((await fetch(`${handle.collector.url}/ready`)).status).toBe(200);
    expect(await handle.stop('SIGTERM')).toBe(0);
    const messages = stdout()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        'collector started',
        'shutting down: writing held traces',
        'collector stopped',
      ]),
    );
  });

  it('gives up the shutdown with exit code 1 on a second stop', async () => {
    const { result } = await run(
      ['--port', '0', '--grpc-port', 'off', '--state-dir', join(dir.path, 'state-2')],
      { AITDR_STORE: `sqlite:${join(dir.path, 'training-2.db')}`, AITDR_LOG_LEVEL: 'silent' },
    );
    const handle = result as CollectorCommandHandle;
    const first = handle.stop('SIGTERM');
    expect(await handle.stop('SIGINT')).toBe(1);
    expect(await first).toBe(0);
  });

  it('still takes the old names of renamed settings, saying once which name replaces each', async () => {
    const store = `sqlite:${join(dir.path, 'training-3.db')}`;
    const argv = ['--port', '0', '--grpc-port', 'off', '--spool-dir', join(dir.path, 'state-3')];
    const env = { AITDR_STORE_URL: store, AITDR_LOG_LEVEL: 'silent' };
    const first = await run(argv, env);
    const handle = first.result as CollectorCommandHandle;
    expect(handle.collector.config).toMatchObject({ store, stateDirectory: join(dir.path, 'state-3') });
    expect(await handle.stop('SIGTERM')).toBe(0);
    expect(first.stderr().split('\n').filter(Boolean).sort()).toEqual([
      'aitdr-collector: --spool-dir is deprecated and read until the next release: use --state-dir',
      'aitdr-collector: AITDR_STORE_URL is deprecated and read until the next release: use AITDR_STORE',
    ]);
    const again = await run(argv, env);
    expect(again.stderr()).toBe('');
    expect(await (again.result as CollectorCommandHandle).stop('SIGTERM')).toBe(0);
  });

  // State an earlier version kept in the old default place (data/collector, one directory for
  // every store) is not silently forgotten: a collector started with today's defaults says where.
  it('names state left in the old default state directory in a warning at start', async () => {
    const cwd = join(dir.path, 'legacy');
    mkdirSync(join(cwd, 'data', 'collector', 'store', 'spool'), { recursive: true });
    const before = process.cwd();
    process.chdir(cwd); // the defaults are relative to the working directory
    try {
      const { result, stdout } = await run(['--port', '0', '--grpc-port', 'off'], {
        AITDR_LOG_LEVEL: 'info',
      });
      const handle = result as CollectorCommandHandle;
      expect(await handle.stop('SIGTERM')).toBe(0);
      const warning = stdout()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .find((entry) => entry.level === 40);
      expect(String(warning?.msg)).toMatch(
        /earlier version's collector state is in \.\/data\/collector: .*--state-dir \.\/data\/collector/,
      );
    } finally {
      process.chdir(before);
    }
  });
});
