/**
 * Least-privilege roles, from the one schema source: a writer (what the recorder and the
 * collector need) and a reader (what export and stats need). Run as the schema owner.
 */
import type { DialectName } from './ddl/dialect.js';
import { AI_SCHEMA_VERSION, TABLES } from './tables.js';
import { TRAINING_EXAMPLES_VIEW } from './view.js';

export type ServerDialect = Exclude<DialectName, 'sqlite'>;

export interface GrantRoles {
  readonly writer: string;
  readonly reader: string;
}

/** The role names of the committed sql/<dialect>/grants.sql. */
export const DEFAULT_GRANT_ROLES: GrantRoles = { writer: 'AITDR_WRITER', reader: 'AITDR_READER' };

/**
 * What each role may do, table by table. The writer also UPDATEs: a placeholder query row
 * becomes the complete one, late spans are merged into OTHER_SPANS, and `SELECT … FOR UPDATE`
 * (which locks the row before that merge) needs UPDATE on PostgreSQL and Oracle. It needs no
 * DELETE: deletion (`aitdr-delete`) runs as the owner or a role given DELETE for it.
 */
export const ROLE_PRIVILEGES = {
  writer: [
    ...TABLES.map((table) => ({ object: table.name, privileges: ['SELECT', 'INSERT', 'UPDATE'] })),
    { object: AI_SCHEMA_VERSION.name, privileges: ['SELECT'] },
  ],
  reader: [...TABLES, AI_SCHEMA_VERSION, { name: TRAINING_EXAMPLES_VIEW }].map((table) => ({
    object: table.name,
    privileges: ['SELECT'],
  })),
} as const;

const ROLE_NAME = /^[A-Za-z][A-Za-z0-9_$]{0,29}$/;

/**
 * GRANT statements for the two roles (which must exist), without terminators; the same on
 * PostgreSQL and Oracle (one object per statement, as Oracle requires).
 */
export function grantStatements(roles: GrantRoles = DEFAULT_GRANT_ROLES): string[] {
  for (const role of [roles.writer, roles.reader]) {
    // Role names cannot be bound: only plain identifiers are accepted.
    if (!ROLE_NAME.test(role))
      throw new TypeError(`role name ${JSON.stringify(role)} is not a plain identifier`);
  }
  return (['writer', 'reader'] as const).flatMap((role) =>
    ROLE_PRIVILEGES[role].map(
      ({ object, privileges }) => `GRANT ${privileges.join(', ')} ON ${object} TO ${roles[role]}`,
    ),
  );
}

/** The committed sql/<dialect>/grants.sql. */
export function grantScript(dialect: ServerDialect, roles: GrantRoles = DEFAULT_GRANT_ROLES): string {
  const comment = '--';
  const header =
    dialect === 'postgres'
      ? [
          `${comment} Roles of the AI Training Data Recorder on PostgreSQL. Run as the schema owner (psql), after`,
          `${comment} aitdr-schema install and after creating the roles, e.g.:`,
          `${comment}   CREATE ROLE ${roles.writer} LOGIN PASSWORD '…';  CREATE ROLE ${roles.reader} LOGIN PASSWORD '…';`,
          `${comment} Other role names: aitdr-schema grants --dialect postgres --writer <role> --reader <role>.`,
          `${comment} If the tables are not in a schema the roles can use (public), also GRANT USAGE ON SCHEMA.`,
        ]
      : [
          `${comment} Roles of the AI Training Data Recorder on Oracle. Run as the schema owner (SQL*Plus or SQLcl),`,
          `${comment} after aitdr-schema install and after creating the users or roles. The writer connects as`,
          `${comment} itself and names the owner with the store's \`schema\` option (ALTER SESSION SET CURRENT_SCHEMA).`,
          `${comment} Other names: aitdr-schema grants --dialect oracle --writer <user> --reader <user>.`,
        ];
  return [
    ...header,
    `${comment} Generated from packages/schema/src/grants.ts by \`pnpm generate\`; do not edit by hand.`,
    '',
    ...grantStatements(roles).map((statement) => `${statement};`),
    '',
  ].join('\n');
}
