import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { schemaInstallStatements } from '@aitdr/schema';

/** Server the tests use; CI starts the local one (see .ci/run). */
export const POSTGRES_ADMIN_URL =
  process.env.AITDR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TemporaryDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/**
 * Creates a database of its own for one test file; `drop()` removes it, even with open sessions.
 * The schema is installed, as its owner would before starting recorders (which only check it),
 * unless `schema: false`.
 */
export async function createTemporaryDatabase(
  prefix = 'aitdr_test',
  { schema = true }: { schema?: boolean } = {},
): Promise<TemporaryDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    // Identifiers cannot be bound; the name is built here from hex only.
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  if (schema) {
    const owner = new pg.Client({ connectionString: url.toString() });
    await owner.connect();
    try {
      for (const statement of schemaInstallStatements('postgres')) await owner.query(statement);
    } finally {
      await owner.end();
    }
  }
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
