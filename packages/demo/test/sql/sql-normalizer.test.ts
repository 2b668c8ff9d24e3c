import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser, normalizeSql } from '@aitdr/demo';
import type { SqlParser } from '@aitdr/demo';

describe('normalizeSql', () => {
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await loadSqlParser();
  });
  const same = (a: string, b: string) => normalizeSql(a, parser) === normalizeSql(b, parser);

  const reference = `SELECT l.name AS line, SUM(d.minutes) AS downtime_minutes
FROM downtime_events d
JOIN production_lines l ON l.line_id = d.line_id
GROUP BY l.name`;

  it('sees through layout, keyword case, semicolons and comments', () => {
    expect(same(reference, reference.replace(/\s+/g, ' ').toLowerCase() + ';')).toBe(true);
    expect(same(reference, `-- downtime\n${reference}`)).toBe(true);
  });

  it('sees through table alias names and an explicit AS', () => {
    const renamed = reference.replaceAll('d.', 'ev.').replace('downtime_events d', 'downtime_events AS ev');
    expect(same(reference, renamed)).toBe(true);
    expect(same(reference, reference.replaceAll('l.', 'lines.').replace('production_lines l', 'production_lines lines'))).toBe(
      true,
    );
  });

  it('keeps differences that change the result', () => {
    expect(same(reference, reference.replace('SUM(d.minutes)', 'AVG(d.minutes)'))).toBe(false);
    expect(same(reference, reference.replace('GROUP BY l.name', 'GROUP BY l.line_id'))).toBe(false);
    expect(same("SELECT * FROM plants WHERE city = 'Detroit'", "SELECT * FROM plants WHERE city = 'detroit'")).toBe(false);
  });

  it('normalises SQL the parser rejects by whitespace and case alone', () => {
    expect(normalizeSql('SELEC  *\nFORM Plants;', parser)).toBe('selec * form plants');
  });
});
