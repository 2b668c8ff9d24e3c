import { InvalidArgumentError } from 'commander';
import { deleteRecords, redactStoreUrl, STORE_OPTION_HELP } from '@aitdr/exporter';
import type { DeletionCriteria } from '@aitdr/exporter';
import { textTable } from '../terminal/text-table.js';
import type { CommandIo } from './command-io.js';
import { UsageError, newProgram, parse, runProgram } from './command-io.js';
import { DEFAULT_STORE } from './defaults.js';

interface DeleteCommandOptions {
  store: string;
  user?: string;
  queryId?: string;
  before?: Date;
  execute: boolean;
}

const dateOption = (value: string): Date => {
  // A bare date is midnight UTC; a time needs its zone, so "before" means one instant everywhere.
  const iso = /^\d{4}-\d\d-\d\d$/.test(value) ? `${value}T00:00:00Z` : value;
  const date = new Date(iso);
  if (!/^\d{4}-\d\d-\d\d(T.*(Z|[+-]\d\d:?\d\d))?$/.test(value) || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(
      'expected a date (2026-01-31) or an instant with its zone (2026-01-31T12:00:00Z)',
    );
  }
  return date;
};

/**
 * `aitdr-delete`: deletes one user's data (a privacy request), one query, or everything recorded
 * before a date (retention), across the nine tables. A dry run by default: it prints what would
 * go, per table; `--execute` deletes, in one transaction. Run it as the schema owner or a role
 * with DELETE (the writer and reader roles have none).
 */
export async function runDeleteCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const program = newProgram('aitdr-delete', io)
    .description(
      'Deletes the queries of a user, one query, or those older than a date, with every row that belongs ' +
        'to them in the nine tables. Without --execute it only counts (dry run).',
    )
    .option('--store <url>', STORE_OPTION_HELP, parse.store, DEFAULT_STORE)
    .option('--user <name-or-id>', "a USERNAME or USER_ID: the user's queries and the feedback they gave")
    .option('--query-id <id>', 'one query (its trace ID)', parse.traceId('a query ID'))
    .option('--before <date>', 'queries that started before this date (UTC) or instant', dateOption)
    .option('--execute', 'delete (default: dry run, count only)', false);

  return runProgram(program, argv, io, async () => {
    const options = program.opts<DeleteCommandOptions>();
    const criteria: DeletionCriteria = {
      ...(options.user === undefined ? {} : { user: options.user }),
      ...(options.queryId === undefined ? {} : { queryId: options.queryId }),
      ...(options.before === undefined ? {} : { before: options.before }),
    };
    if (Object.keys(criteria).length === 0) {
      throw new UsageError('name what to delete: --user, --query-id or --before (they combine)');
    }
    const report = await deleteRecords(options.store, criteria, {
      execute: options.execute,
      environment: process.env,
    });
    const total = [...report.rows.values()].reduce((sum, n) => sum + n, 0);
    io.stdout.write(
      `${textTable(['table', report.deleted ? 'deleted' : 'would delete'], [...report.rows])}\n`,
    );
    io.stdout.write(
      report.deleted
        ? `deleted ${total} row(s) from ${redactStoreUrl(options.store)}\n`
        : `dry run: ${total} row(s) would be deleted from ${redactStoreUrl(options.store)}; nothing deleted (add --execute)\n`,
    );
  });
}
