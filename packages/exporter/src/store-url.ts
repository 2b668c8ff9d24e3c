/**
 * Store URLs to typed store options. The environment is read only by `createTableExporter`,
 * which passes it in; everything below takes it as an argument.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { StoreOptions } from './types.js';

/** Supplies the store's password when its URL has none. */
export const STORE_PASSWORD_VARIABLE = 'AITDR_STORE_PASSWORD';

/** The help text of every command's `--store` option. */
export const STORE_OPTION_HELP = `the store: sqlite:<file>, postgres://…, oracle://… (password: ${STORE_PASSWORD_VARIABLE})`;

/**
 * The store's statement timeout in milliseconds, per dialect: PostgreSQL's `statement_timeout`
 * (and the client's wait), Oracle's `callTimeout`, SQLite's `busy_timeout`.
 */
export const STORE_STATEMENT_TIMEOUT_VARIABLE = 'AITDR_STORE_STATEMENT_TIMEOUT_MS';

export type Environment = Readonly<Record<string, string | undefined>>;

function statementTimeoutOf(environment: Environment): number | undefined {
  const text = environment[STORE_STATEMENT_TIMEOUT_VARIABLE];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(
      `${STORE_STATEMENT_TIMEOUT_VARIABLE} must be a positive whole number of milliseconds, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/**
 * Parses `sqlite:<path>` (relative to the working directory, or absolute; `sqlite::memory:`),
 * `postgres://…` / `postgresql://…` and `oracle://user[:password]@host[:port]/service`.
 * Throws a TypeError for anything else: a store that cannot be named is a programming error.
 */
export function parseStoreUrl(url: string, environment: Environment = {}): StoreOptions {
  const password = environment[STORE_PASSWORD_VARIABLE];
  const timeout = statementTimeoutOf(environment);
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new TypeError('sqlite store URL names no file: use sqlite:./training.db');
    return {
      dialect: 'sqlite',
      filename: path === ':memory:' ? path : resolve(path),
      ...(timeout === undefined ? {} : { busyTimeoutMs: timeout }),
    };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const hasPassword = new URL(url).password !== '';
    return {
      dialect: 'postgres',
      connectionString: url,
      ...(!hasPassword && password !== undefined ? { password } : {}),
      ...(timeout === undefined ? {} : { statementTimeoutMs: timeout }),
    };
  }
  if (url.startsWith('oracle://')) {
    const parsed = new URL(url);
    const user = decodeURIComponent(parsed.username);
    const service = parsed.pathname.replace(/^\//, '');
    if (user === '' || parsed.hostname === '' || service === '') {
      throw new TypeError(
        `oracle store URL must be oracle://user@host:port/service[?easy-connect-parameters], got ${redactStoreUrl(url)}`,
      );
    }
    const urlPassword = decodeURIComponent(parsed.password);
    const chosen = urlPassword !== '' ? urlPassword : password;
    // The query string is kept as written: Easy Connect Plus parameters (wallet_location,
    // ssl_server_dn_match, transport_connect_timeout, retry_count, …) belong to the connect string.
    const query = url.includes('?') ? url.slice(url.indexOf('?')).replace(/#.*$/, '') : '';
    return {
      dialect: 'oracle',
      user,
      connectString: `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}/${service}${query}`,
      ...(chosen === undefined ? {} : { password: chosen }),
      ...(timeout === undefined ? {} : { statementTimeoutMs: timeout }),
    };
  }
  throw new TypeError(`unsupported store URL ${redactStoreUrl(url)}: use sqlite:, postgres:// or oracle://`);
}

/** The URL with any password replaced, for messages. */
export function redactStoreUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

/** Typed options for either form of `store`. */
export function resolveStore(store: string | StoreOptions, environment: Environment = {}): StoreOptions {
  return typeof store === 'string' ? parseStoreUrl(store, environment) : store;
}

/** How messages name a store: its URL without the password. */
export function storeLabel(store: StoreOptions): string {
  if (store.dialect === 'sqlite') return `sqlite:${store.filename}`;
  if (store.dialect === 'postgres') return redactStoreUrl(store.connectionString);
  return `oracle://${store.user ?? '(external)'}@${store.connectString}`;
}

/**
 * A short name of a store (`sqlite-<hash>`, `postgres-<hash>`, …), the same for the same store and
 * different for different ones: state directories are kept per store under it, so the dead
 * letters of two stores never mix.
 */
export function storeStateKey(store: StoreOptions): string {
  const identity =
    store.dialect === 'sqlite'
      ? resolve(store.filename)
      : store.dialect === 'postgres'
        ? redactStoreUrl(store.connectionString)
        : `${store.user ?? ''}@${store.connectString}`;
  const hash = createHash('sha256').update(`${store.dialect}:${identity}`).digest('hex').slice(0, 12);
  return `${store.dialect}-${hash}`;
}

/** Where a store's spool, parked traces and dead letters live by default: one directory per store. */
export function defaultStateDirectory(store: StoreOptions): string {
  return resolve(join('.aitdr', storeStateKey(store)));
}
