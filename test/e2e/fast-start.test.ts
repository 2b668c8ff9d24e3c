/**
 * The root scripts start a command with plain Node on built code: no `npx pnpm`, no TypeScript
 * compiled at start, no install when nothing changed. Not timed (the machine may be busy): the
 * second start must work with nothing on PATH but node, so it can neither install nor use npx.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LAUNCHER = join(ROOT, 'scripts', 'run-command.mjs');

describe('command start', () => {
  const bin = createTemporaryDirectory('aitdr-fast-start-');
  afterAll(() => bin.remove());

  it('the root scripts call node on the launcher, not npx pnpm or tsx', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of ['demo', 'export', 'stats', 'dead-letters', 'collector']) {
      expect(scripts[name], name).toBe(`node scripts/run-command.mjs ${name}`);
    }
  });

  it('runs a command from its build, and again with nothing to install or build', () => {
    // The first start may install or build (a fresh clone, changed sources): not what is checked.
    const first = spawnSync(process.execPath, [LAUNCHER, 'export', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).not.toContain('running from the TypeScript sources');

    symlinkSync(process.execPath, join(bin.path, 'node'));
    for (const command of ['export', 'stats', 'dead-letters', 'demo', 'collector']) {
      const again = spawnSync(join(bin.path, 'node'), [LAUNCHER, command, '--help'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, PATH: bin.path },
      });
      expect(again.status, `${command}: ${again.stderr}`).toBe(0);
      expect(again.stdout, command).toMatch(/^Usage: aitdr-/);
      expect(again.stderr, command).toBe('');
    }
  }, 300_000);
});
