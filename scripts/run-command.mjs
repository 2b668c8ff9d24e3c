#!/usr/bin/env node
/**
 * Starts one of the repository's commands quickly: `npm run export -- --help` comes here.
 *
 *   node scripts/run-command.mjs <demo|export|stats|dead-letters|schema|delete|collector> [args…]
 *   node scripts/run-command.mjs --install   # only the install step (npm test uses it)
 *
 * Going through `npx pnpm@12.4.2 run …` and compiling TypeScript at every start took 10–17 s on a
 * busy machine. Here plain Node does three cheap checks and runs built JavaScript in-process:
 * 1. install (`pnpm install --frozen-lockfile`) only when the lockfile or a package.json changed
 *    since the last install made here (a hash kept in node_modules/.cache);
 * 2. build (`tsc -b`) only when a source file, package.json or tsconfig is newer than the last
 *    build made here;
 * 3. import the command's dist/ entry point. Should the build fail, the command runs from its
 *    TypeScript sources instead (slower, same behaviour), after saying so.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'aitdr');
const INSTALL_STAMP = join(CACHE, 'installed');
const BUILD_STAMP = join(CACHE, 'built');
const PNPM = ['-y', 'pnpm@12.4.2'];

/** Each command: its built entry point and its source, relative to the root. */
const COMMANDS = {
  demo: 'packages/cli/{dir}/bin/demo',
  export: 'packages/cli/{dir}/bin/export',
  stats: 'packages/cli/{dir}/bin/stats',
  'dead-letters': 'packages/cli/{dir}/bin/dead-letters',
  schema: 'packages/cli/{dir}/bin/schema',
  delete: 'packages/cli/{dir}/bin/delete',
  collector: 'collector/{dir}/server',
};

/** Where the workspace's packages live: their package.json and sources decide install and build. */
const PACKAGE_DIRECTORIES = [
  ...readdirSync(join(ROOT, 'packages')).map((name) => join('packages', name)),
  'collector',
  'bench',
  'test',
];

function say(line) {
  process.stderr.write(`${line}\n`);
}

function run(command, args) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  return result.status === 0;
}

function stamp(path, content) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

function installHash() {
  const hash = createHash('sha256');
  for (const file of ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml']) {
    hash.update(readFileSync(join(ROOT, file)));
  }
  for (const directory of PACKAGE_DIRECTORIES) {
    const manifest = join(ROOT, directory, 'package.json');
    if (existsSync(manifest)) hash.update(readFileSync(manifest));
  }
  return hash.digest('hex');
}

function ensureInstalled() {
  const wanted = installHash();
  const installed = existsSync(INSTALL_STAMP) ? readFileSync(INSTALL_STAMP, 'utf8') : '';
  if (installed === wanted && existsSync(join(ROOT, 'node_modules', '.modules.yaml'))) return;
  if (!run('npx', [...PNPM, 'install', '--frozen-lockfile', '--reporter=silent'])) process.exit(1);
  stamp(INSTALL_STAMP, wanted);
}

/** The newest modification time under `path` (a file or a directory, dist and node_modules left out). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

function sourcesChangedSince(time) {
  const inputs = [
    join(ROOT, 'tsconfig.base.json'),
    join(ROOT, 'tsconfig.build.json'),
    ...['packages/conventions', 'packages/schema', 'packages/exporter', 'packages/sdk', 'packages/demo']
      .concat(['packages/cli', 'collector'])
      .flatMap((directory) =>
        ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => join(ROOT, directory, f)),
      ),
  ];
  return inputs.some((input) => newest(input) > time);
}

/** True when dist/ is current (built now if it was not); false when the build failed. */
function ensureBuilt() {
  const built = existsSync(BUILD_STAMP) ? statSync(BUILD_STAMP).mtimeMs : 0;
  if (built > 0 && !sourcesChangedSince(built)) return true;
  say('Building the packages (first run, or the sources changed)…');
  const started = Date.now();
  if (
    !run(process.execPath, [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-b',
      'tsconfig.build.json',
    ])
  ) {
    say('The build failed: running from the TypeScript sources instead.');
    return false;
  }
  // Stamped with the time the build started: a source saved during the build counts as changed.
  stamp(BUILD_STAMP, '');
  utimesSync(BUILD_STAMP, new Date(started), new Date(started));
  return true;
}

async function main() {
  const [name, ...args] = process.argv.slice(2);
  ensureInstalled();
  if (name === '--install') return;
  const entry = COMMANDS[name];
  if (entry === undefined) {
    say(`run-command: unknown command ${name ?? '(none)'}; one of ${Object.keys(COMMANDS).join(', ')}`);
    process.exit(2);
  }
  // npm passes the arguments after `--`; the commands see them as their own.
  if (ensureBuilt()) {
    process.argv = [process.argv[0], join(ROOT, `${entry.replace('{dir}', 'dist')}.js`), ...args];
    await import(pathToFileURL(process.argv[1]).href);
    return;
  }
  const source = join(ROOT, `${entry.replace('{dir}', 'src')}.ts`);
  const tsx = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
  const result = spawnSync(
    process.execPath,
    ['--conditions=aitdr-source', '--import', tsx, source, ...args],
    {
      cwd: process.cwd(),
      stdio: 'inherit',
    },
  );
  process.exitCode = result.status ?? 1;
}

await main();
