/**
 * The dead-letter lane: a refused trace is kept with its reason and the database's code; a replay
 * removes the letters whose trace is kept again and leaves the others as they were.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDeadLetters } from '../../src/keep/dead-letter-store.js';
import type { Placement } from '../../src/keep/placement.js';
import { openLanes, trace, traceId } from './lane-fixtures.js';
import type { Lanes } from './lane-fixtures.js';

describe('dead-letter lane', () => {
  let lanes: Lanes;
  beforeEach(async () => {
    lanes = await openLanes();
  });
  afterEach(() => lanes.close());

  it('keeps a refused trace with its reason and the code the classification gives', async () => {
    const { deadLetters, ledger, deadLetterDirectory } = lanes;
    const refused = trace(traceId(1));
    const error = Object.assign(new Error('value too long for type character varying(256)'), {
      code: '22001',
    });
    expect(await deadLetters.deadLetter(refused.traceId, refused.spans, 'refused by the store', error)).toBe(
      'dead-lettered',
    );
    expect(ledger.counters.deadLettered).toBe(1);
    expect(await readDeadLetters(deadLetterDirectory)).toMatchObject([
      {
        traceId: traceId(1),
        reason: 'refused by the store',
        error: { code: '22001', message: 'value too long for type character varying(256)' },
        spans: refused.spans,
      },
    ]);
  });

  it('replays letters: those kept again are removed, the others stay', async () => {
    const { deadLetters } = lanes;
    for (const n of [1, 2, 3]) await deadLetters.deadLetter(traceId(n), trace(traceId(n)).spans, 'refused');
    const placements = new Map<string, Placement>([
      [traceId(1), 'committed'],
      [traceId(2), 'ignored'],
      [traceId(3), 'parked'],
    ]);
    const written: string[] = [];
    const replay = await deadLetters.replay(undefined, (t) => {
      written.push(t.traceId);
      return Promise.resolve(placements.get(t.traceId)!);
    });
    expect(written).toEqual([traceId(1), traceId(2), traceId(3)]);
    expect(replay).toMatchObject({
      replayed: 3,
      committed: 1,
      parked: 1,
      spooled: 0,
      deadLettered: 0,
      left: 1,
    });
    expect(replay.remaining.map((letter) => letter.traceId)).toEqual([traceId(2)]);
  });

  it('replays only the letters asked for', async () => {
    const { deadLetters } = lanes;
    for (const n of [1, 2]) await deadLetters.deadLetter(traceId(n), trace(traceId(n)).spans, 'refused');
    const replay = await deadLetters.replay(new Set([traceId(2)]), () => Promise.resolve('committed'));
    expect(replay).toMatchObject({ replayed: 1, committed: 1 });
    expect(replay.remaining.map((letter) => letter.traceId)).toEqual([traceId(1)]);
  });
});
