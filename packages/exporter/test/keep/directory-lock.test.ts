import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableSpool } from '@aitdr/exporter';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

const contenderScript = fileURLToPath(new URL('../support/spool-contender.ts', import.meta.url));
const crashScript = fileURLToPath(new URL('../support/spool-crash.ts', import.meta.url));
const ROUNDS = 40;

interface Contender {
  readonly child: ChildProcess;
  next(): Promise<{ won?: boolean; error?: string }>;
}

function startContender(): Contender {
  const child = fork(contenderScript, [], {
    execArgv: ['--conditions=aitdr-source', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const queue: object[] = [];
  const waiting: ((message: object) => void)[] = [];
  child.on('message', (message: object) => {
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  return {
    child,
    next: () =>
      new Promise((resolve, reject) => {
        const queued = queue.shift();
        if (queued) resolve(queued);
        else waiting.push(resolve);
        child.once('exit', () => reject(new Error('contender exited')));
      }),
  };
}

/** The PID of a process that has exited. */
function deadPid(): number {
  const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(run.stdout);
}

describe('DurableSpool directory lock', () => {
  const dir = createTemporaryDirectory('aitdr-spool-lock-');
  let contenders: Contender[] = [];

  beforeAll(async () => {
    contenders = [startContender(), startContender()];
    await Promise.all(contenders.map((c) => c.next()));
  }, 60_000);
  afterAll(() => {
    for (const { child } of contenders) child.kill('SIGKILL');
    dir.remove();
  });

  it(`lets exactly one of two processes opening together win, ${ROUNDS} times, with a stale lock present`, async () => {
    const stalePid = deadPid();
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const directory = join(dir.path, `round-${round}`);
      mkdirSync(directory);
      // Every second round starts from a lock a dead process left behind.
      if (round % 2 === 0) writeFileSync(join(directory, 'lock'), String(stalePid));
      for (const { child } of contenders) child.send({ open: directory });
      const answers = await Promise.all(contenders.map((c) => c.next()));
      const won = answers.filter((a) => a.won).length;
      winners.push(won);
      const loser = answers.find((a) => !a.won);
      if (won === 1) {
        expect(loser?.error).toMatch(/in use by process \d+/);
        const holder = contenders[answers.findIndex((a) => a.won)]!.child.pid;
        expect(readFileSync(join(directory, 'lock'), 'utf8')).toBe(String(holder));
      }
      for (const { child } of contenders) child.send({ close: true });
      await Promise.all(contenders.map((c) => c.next()));
    }
    expect(winners).toEqual(Array.from({ length: ROUNDS }, () => 1));
  }, 120_000);

  it('is free again once its holder was killed, whatever PID its lock file names', async () => {
    const directory = join(dir.path, 'killed');
    const crashed = spawnSync(
      process.execPath,
      ['--conditions=aitdr-source', '--import', 'tsx', crashScript, directory, 'one', 'two'],
      { encoding: 'utf8' },
    );
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    // As after a container restart: the lock file names a PID that is alive now (PID 1, or ours).
    for (const pid of [1, process.pid]) {
      writeFileSync(join(directory, 'lock'), String(pid));
      const spool = await DurableSpool.open({ directory, maxBytes: 1 << 20 });
      expect(spool.records).toBe(1);
      await spool.close();
    }
  }, 60_000);

  it('refuses a directory another live process holds, naming it', async () => {
    const directory = join(dir.path, 'held');
    contenders[0]!.child.send({ open: directory });
    expect((await contenders[0]!.next()).won).toBe(true);
    await expect(DurableSpool.open({ directory, maxBytes: 1 << 20 })).rejects.toThrow(
      `in use by process ${contenders[0]!.child.pid}`,
    );
    contenders[0]!.child.send({ close: true });
    await contenders[0]!.next();
    const spool = await DurableSpool.open({ directory, maxBytes: 1 << 20 });
    await spool.close();
  }, 60_000);

  it.runIf(process.platform === 'linux')(
    'keeps holding when a caller hangs up before reading the PID it is told',
    async () => {
      const directory = join(dir.path, 'hung-up');
      mkdirSync(directory);
      const spool = await DurableSpool.open({ directory, maxBytes: 1 << 20 });
      // The lock's abstract socket name (directory-lock.ts): a loser that gives up, or any local
      // process that connects and closes at once, must not crash the holder with EPIPE.
      const digest = createHash('sha256').update(realpathSync(directory)).digest('hex').slice(0, 40);
      for (let i = 0; i < 200; i++) {
        const socket = connect(`\0aitdr-state-${digest}`);
        socket.on('error', () => undefined);
        socket.on('connect', () => socket.destroy());
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      await spool.append([Buffer.from('still here')]);
      expect(spool.records).toBe(1);
      await spool.close();
    },
    60_000,
  );
});
