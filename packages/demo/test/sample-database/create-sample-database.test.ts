import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_TABLES, createSampleDatabase } from '@aitdr/demo';
import { createTemporarySampleDatabase } from '../support/sample-database.js';

function dump(db: Database.Database): Record<string, unknown[]> {
  return Object.fromEntries(
    SAMPLE_TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY 1`).raw(true).all()]),
  );
}

describe('createSampleDatabase', () => {
  const first = createTemporarySampleDatabase({ seed: 42 });
  const again = createTemporarySampleDatabase({ seed: 42 });
  const other = createTemporarySampleDatabase({ seed: 7 });
  afterAll(() => [first, again, other].forEach((sample) => sample.remove()));

  it('creates the same file, byte for byte, for the same seed', () => {
    expect(dump(again.db)).toEqual(dump(first.db));
    expect(readFileSync(again.path).equals(readFileSync(first.path))).toBe(true);
  });

  it('creates different data for another seed', () => {
    const a = dump(first.db);
    const b = dump(other.db);
    expect(b.plants).toEqual(a.plants); // the plants are fixed reference data
    expect(b.production_runs).not.toEqual(a.production_runs);
    expect(b.quality_checks).not.toEqual(a.quality_checks);
  });

  it('reports the row counts it wrote: thousands of facts over 90 days', () => {
    const { rowCounts, startDate, endDate } = first.summary;
    for (const table of SAMPLE_TABLES) {
      const { n } = first.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()!;
      expect(rowCounts[table], table).toBe(n);
    }
    expect(rowCounts).toMatchObject({
      plants: 3,
      production_lines: 12,
      shifts: 3,
      products: 10,
      downtime_reasons: 8,
    });
    expect(rowCounts.production_runs).toBeGreaterThan(2000);
    expect(rowCounts.downtime_events).toBeGreaterThan(500);
    expect(rowCounts.quality_checks).toBeGreaterThan(rowCounts.production_runs);
    expect([startDate, endDate]).toEqual(['2026-07-03', '2026-09-30']);
    const { min, max } = first.db
      .prepare<[], { min: string; max: string }>(
        'SELECT MIN(run_date) AS min, MAX(run_date) AS max FROM production_runs',
      )
      .get()!;
    expect(min >= startDate && max <= endDate).toBe(true);
  });

  it('holds real foreign keys, all satisfied', () => {
    const keys = first.db.prepare('SELECT * FROM pragma_foreign_key_list(?)').all('quality_checks');
    expect(keys.map((k) => (k as { table: string }).table).sort()).toEqual(['operators', 'production_runs']);
    expect(first.db.pragma('foreign_key_check')).toEqual([]);
  });

  it('has distributions that make aggregate questions meaningful', () => {
    const scrapByShift = first.db
      .prepare<[], { name: string; rate: number }>(
        `SELECT s.name, 1.0 * SUM(q.scrap_units) / SUM(r.actual_units) AS rate
         FROM production_runs r JOIN shifts s USING (shift_id)
         JOIN (SELECT run_id, SUM(scrap_units) AS scrap_units FROM quality_checks GROUP BY run_id) q USING (run_id)
         GROUP BY s.name`,
      )
      .all();
    const rate = (shift: string) => scrapByShift.find((s) => s.name === shift)!.rate;
    expect(rate('Night')).toBeGreaterThan(rate('Day') * 1.3);

    const efficiency = first.db
      .prepare<[], { eff: number }>(
        'SELECT 1.0 * SUM(actual_units) / SUM(planned_units) AS eff FROM production_runs GROUP BY line_id ORDER BY eff',
      )
      .all()
      .map((row) => row.eff);
    expect(efficiency[efficiency.length - 1]! - efficiency[0]!).toBeGreaterThan(0.08);
    expect(efficiency.every((e) => e > 0.5 && e < 1.05)).toBe(true);

    const downtime = first.db
      .prepare<[], { city: string }>(
        `SELECT p.city FROM downtime_events d JOIN production_lines l USING (line_id) JOIN plants p USING (plant_id)
         GROUP BY p.city ORDER BY SUM(d.minutes) DESC`,
      )
      .all();
    expect(downtime[0]!.city).toBe('Detroit'); // the oldest plant breaks down most
  });

  it('refuses to replace an existing file unless asked to', () => {
    expect(() => createSampleDatabase(first.path)).toThrow(/already exists/);
    const path = join(first.path, '..', 'replaced.db');
    createSampleDatabase(path, { days: 7 });
    const summary = createSampleDatabase(path, { days: 14, overwrite: true });
    const fresh = join(first.path, '..', 'fresh.db');
    createSampleDatabase(fresh, { days: 14 });
    expect(readFileSync(path).equals(readFileSync(fresh))).toBe(true);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT COUNT(DISTINCT run_date) AS n FROM production_runs').get()).toEqual({ n: 12 });
    expect(summary.startDate).toBe('2026-09-17');
    db.close();
  });

  it('opens read-only, so even a write that slipped through fails', () => {
    expect(() => first.db.exec('DELETE FROM downtime_events')).toThrow(
      expect.objectContaining({ code: 'SQLITE_READONLY' }),
    );
  });
});
