import { afterAll, describe, expect, it } from 'vitest';
import { stageProblems } from './support/stage-fields.js';
import { executeQuery } from '@aitdr/demo';
import { createTemporarySampleDatabase } from './support/sample-database.js';

describe('executeQuery', () => {
  const sample = createTemporarySampleDatabase();
  afterAll(() => sample.remove());

  it('returns the real rows, columns and a sample', () => {
    const result = executeQuery(sample.db, 'SELECT shift_id, name FROM shifts ORDER BY shift_id', {
      sampleRows: 2,
    });
    expect(result.rows).toEqual([
      [1, 'Day'],
      [2, 'Evening'],
      [3, 'Night'],
    ]);
    expect(result.fields).toMatchObject({
      success: true,
      returnedRows: 3,
      columnNames: ['shift_id', 'name'],
      resultSample: '[[1,"Day"],[2,"Evening"]]',
      dbSystem: 'sqlite',
      dbNamespace: 'main',
      operationName: 'SELECT',
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(stageProblems('execution', result.fields)).toEqual([]);
  });

  it('counts every returned row, not just the sample', () => {
    const result = executeQuery(sample.db, 'SELECT * FROM production_runs LIMIT 1000');
    expect(result.fields.returnedRows).toBe(1000);
    expect(JSON.parse(result.fields.resultSample!)).toHaveLength(5);
  });

  it('reports SQLite errors as SQLite reports them', () => {
    const unknownColumn = executeQuery(sample.db, 'SELECT units_produced FROM production_runs');
    expect(unknownColumn.rows).toBeUndefined();
    expect(unknownColumn.fields).toMatchObject({
      success: false,
      errorCode: 'SQLITE_ERROR',
      errorType: 'SQLITE_ERROR',
    });
    expect(unknownColumn.errorMessage).toBe('no such column: units_produced');

    const unknownTable = executeQuery(sample.db, 'SELECT * FROM downtime');
    expect(unknownTable.errorMessage).toBe('no such table: downtime');
  });

  it('cannot write through the read-only connection', () => {
    const result = executeQuery(sample.db, 'DELETE FROM downtime_events RETURNING event_id');
    expect(result.fields).toMatchObject({ success: false, errorCode: 'SQLITE_READONLY' });
    expect(executeQuery(sample.db, 'SELECT COUNT(*) FROM downtime_events').rows![0]![0]).toBe(
      sample.summary.rowCounts.downtime_events,
    );
  });

  it('refuses a statement that returns no rows', () => {
    const result = executeQuery(sample.db, 'DELETE FROM downtime_events');
    expect(result.fields).toMatchObject({ success: false, errorCode: 'NOT_A_QUERY' });
  });
});
