import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultStateDirectory, parseStoreUrl, redactStoreUrl } from '@aitdr/exporter';

describe('parseStoreUrl', () => {
  it('reads SQLite paths relative to the working directory, or absolute', () => {
    expect(parseStoreUrl('sqlite:./training.db')).toEqual({
      dialect: 'sqlite',
      filename: resolve('training.db'),
    });
    expect(parseStoreUrl('sqlite:/var/lib/aitdr/t.db')).toEqual({
      dialect: 'sqlite',
      filename: '/var/lib/aitdr/t.db',
    });
    expect(parseStoreUrl('sqlite:///var/lib/aitdr/t.db')).toEqual({
      dialect: 'sqlite',
      filename: '/var/lib/aitdr/t.db',
    });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', filename: ':memory:' });
  });

  it('passes PostgreSQL URLs to pg, taking the password from the environment only when the URL has none', () => {
    const env = { AITDR_STORE_PASSWORD: 'from-env' };
    expect(parseStoreUrl('postgres://app@db:5432/training', env)).toEqual({
      dialect: 'postgres',
      connectionString: 'postgres://app@db:5432/training',
      password: 'from-env',
    });
    expect(parseStoreUrl('postgresql://app:inline@db/training', env)).toEqual({
      dialect: 'postgres',
      connectionString: 'postgresql://app:inline@db/training',
    });
  });

  it('turns an Oracle URL into user, password and an Easy Connect string', () => {
    expect(
      parseStoreUrl('oracle://aitdr@db.example:1521/FREEPDB1', { AITDR_STORE_PASSWORD: 's3cret' }),
    ).toEqual({
      dialect: 'oracle',
      user: 'aitdr',
      password: 's3cret',
      connectString: 'db.example:1521/FREEPDB1',
    });
    expect(parseStoreUrl('oracle://aitdr:p%40ss@db/ORCL')).toMatchObject({
      password: 'p@ss',
      connectString: 'db/ORCL',
    });
    expect(() => parseStoreUrl('oracle://db.example:1521/FREEPDB1')).toThrow(TypeError);
    // Easy Connect Plus parameters stay on the connect string, as written.
    expect(
      parseStoreUrl(
        'oracle://aitdr@db.example:2484/FREEPDB1?ssl_server_dn_match=on&wallet_location=/opt/wallet&retry_count=3',
      ),
    ).toMatchObject({
      connectString:
        'db.example:2484/FREEPDB1?ssl_server_dn_match=on&wallet_location=/opt/wallet&retry_count=3',
    });
  });

  it('refuses other schemes without echoing a password', () => {
    expect(() => parseStoreUrl('mysql://root:hunter2@db/x')).toThrow(/mysql:\/\/root:\*\*\*@db\/x/);
    expect(redactStoreUrl('postgres://u:p@h/d')).toBe('postgres://u:***@h/d');
  });

  it('gives each store its own default state directory', () => {
    const a = defaultStateDirectory(parseStoreUrl('sqlite:./a.db'));
    const b = defaultStateDirectory(parseStoreUrl('sqlite:./b.db'));
    expect(a).toMatch(new RegExp(`^${resolve('.aitdr')}/sqlite-[0-9a-f]{12}$`));
    expect(a).not.toBe(b);
    // The password is not part of a store's identity.
    expect(defaultStateDirectory(parseStoreUrl('postgres://u:one@h/d'))).toBe(
      defaultStateDirectory(parseStoreUrl('postgres://u:two@h/d')),
    );
  });
});
