import { Argument, Option } from 'commander';
import { applySchema, readSchemaStatus, redactStoreUrl, STORE_OPTION_HELP } from '@aitdr/exporter';
import { DEFAULT_GRANT_ROLES, SCHEMA_VERSION, grantScript } from '@aitdr/schema';
import type { ServerDialect } from '@aitdr/schema';
import type { CommandIo } from './command-io.js';
import { EXIT_FAILED, UsageError, newProgram, parse, runProgram } from './command-io.js';

const ACTIONS = ['install', 'upgrade', 'check', 'grants'] as const;
type Action = (typeof ACTIONS)[number];

interface SchemaCommandOptions {
  store?: string;
  dialect: ServerDialect;
  writer: string;
  reader: string;
}

/**
 * `aitdr-schema`: the schema as its owner manages it. `install` creates it on an empty store,
 * `upgrade` applies the migrations a store lacks, `check` says whether a recorder can start on
 * it (exit 1 when not), `grants` prints the writer and reader roles' GRANTs. Recorders and
 * collectors on PostgreSQL and Oracle only check the version; this is what installs it.
 */
export async function runSchemaCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const program = newProgram('aitdr-schema', io)
    .description(
      'Installs, upgrades or checks the recorder schema of a store, or prints the GRANTs of its roles.',
    )
    .addArgument(new Argument('<action>', ACTIONS.join(' | ')).choices(ACTIONS))
    .option('--store <url>', STORE_OPTION_HELP, parse.store)
    .addOption(
      new Option('--dialect <dialect>', 'grants: the server dialect')
        .choices(['postgres', 'oracle'])
        .default('postgres'),
    )
    .option(
      '--writer <role>',
      'grants: the role the recorder and the collector connect as',
      DEFAULT_GRANT_ROLES.writer,
    )
    .option('--reader <role>', 'grants: the role export and stats connect as', DEFAULT_GRANT_ROLES.reader);

  return runProgram(program, argv, io, async () => {
    const action = program.processedArgs[0] as Action;
    const options = program.opts<SchemaCommandOptions>();
    if (action === 'grants') {
      io.stdout.write(grantScript(options.dialect, { writer: options.writer, reader: options.reader }));
      return;
    }
    if (options.store === undefined) throw new UsageError(`${action} needs --store <url>`);
    const store = options.store;
    const where = redactStoreUrl(store);
    const before = await readSchemaStatus(store, process.env);
    if (action === 'check') {
      if (before.installed !== undefined && before.installed >= SCHEMA_VERSION) {
        io.stdout.write(
          `${where}: schema version ${before.installed}, up to date (this recorder needs ${SCHEMA_VERSION})\n`,
        );
        return;
      }
      io.stderr.write(
        before.installed === undefined
          ? `aitdr-schema: ${where} has no recorder schema: run aitdr-schema install --store <url> as its owner\n`
          : `aitdr-schema: ${where} has schema version ${before.installed}, this recorder needs ${SCHEMA_VERSION}: run aitdr-schema upgrade --store <url> as its owner\n`,
      );
      return EXIT_FAILED;
    }
    if (action === 'install' && before.installed !== undefined) {
      io.stdout.write(`${where}: schema already installed (version ${before.installed}); nothing to do\n`);
      if (before.installed < SCHEMA_VERSION)
        io.stdout.write('run aitdr-schema upgrade to bring it up to date\n');
      return;
    }
    if (action === 'upgrade' && before.installed === undefined) {
      throw new UsageError(`${where} has no recorder schema to upgrade: use aitdr-schema install`);
    }
    const after = await applySchema(store, process.env);
    io.stdout.write(
      before.installed === undefined
        ? `${where}: installed schema version ${after.installed}\n`
        : before.installed === after.installed
          ? `${where}: schema version ${after.installed}, already up to date\n`
          : `${where}: upgraded schema from version ${before.installed} to ${after.installed}\n`,
    );
  });
}
