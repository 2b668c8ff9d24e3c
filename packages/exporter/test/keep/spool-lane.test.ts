/**
 * The spool lane with a fake store: what is spooled, replayed oldest first, kept while the store
 * is unavailable, and dropped when it cannot be kept; the counters `status()` shows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpoolFullError } from '@aitdr/conventions';
import { Ledger } from '../../src/keep/ledger.js';
import { SpoolLane } from '../../src/keep/spool-lane.js';
import { openLanes, trace, traceId } from './lane-fixtures.js';
import type { Lanes } from './lane-fixtures.js';

describe('spool lane', () => {
  let lanes: Lanes;
  beforeEach(async () => {
    lanes = await openLanes();
  });
  afterEach(() => lanes.close());

  it('spools traces and replays them oldest first, one batch a call, counting them replayed', async () => {
    const { spool, store, ledger, place } = lanes;
    const ids = [1, 2, 3, 4, 5].map(traceId);
    expect(
      await spool.keep(
        ids.slice(0, 3).map((id) => trace(id)),
        'the store is unavailable',
      ),
    ).toBe('spooled');
    expect(
      await spool.keep(
        ids.slice(3).map((id) => trace(id)),
        'the write queue is full',
      ),
    ).toBe('spooled');
    expect(spool.traces).toBe(5);
    expect(ledger.counters).toMatchObject({ spooled: 5, replayed: 0, written: 0 });

    expect(await spool.replay(store.write, place, 2)).toBe(true);
    expect(await spool.replay(store.write, place, 2)).toBe(true);
    expect(await spool.replay(store.write, place, 2)).toBe(true);
    expect(await spool.replay(store.write, place, 2)).toBe(false); // nothing left
    expect(store.batches).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    expect(spool.traces).toBe(0);
    expect(spool.bytes).toBe(0);
    expect(ledger.counters).toMatchObject({ spooled: 5, replayed: 5, written: 5 });
  });

  it('keeps every trace while the store is unavailable, and replays them once it is back', async () => {
    const { spool, store, ledger, place } = lanes;
    await spool.keep([trace(traceId(1)), trace(traceId(2))], 'the store is unavailable');
    store.available = false;
    expect(await spool.replay(store.write, place, 10)).toBe(false);
    expect(spool.traces).toBe(2);
    expect(ledger.counters).toMatchObject({ replayed: 0, written: 0, dropped: 0 });
    store.available = true;
    expect(await spool.replay(store.write, place, 10)).toBe(true);
    expect(store.batches).toEqual([
      [traceId(1), traceId(2)],
      [traceId(1), traceId(2)],
    ]);
    expect(spool.traces).toBe(0);
    expect(ledger.counters.replayed).toBe(2);
  });

  it('places what the store decides on replay: a refused trace is dead-lettered, not replayed', async () => {
    const { spool, store, ledger, place } = lanes;
    await spool.keep([trace(traceId(1)), trace(traceId(2))], 'the store is unavailable');
    store.answer = (id) =>
      id === traceId(2)
        ? { kind: 'dead-lettered', reason: 'value too long', error: { code: '22001' } }
        : { kind: 'committed' };
    await spool.replay(store.write, place, 10);
    expect(ledger.counters).toMatchObject({ replayed: 1, written: 1, deadLettered: 1 });
    expect(spool.traces).toBe(0);
  });

  it('drops, counted, with SpoolFullError when the spool cannot take them', async () => {
    const ledger = new Ledger();
    const unopened = new SpoolLane(Promise.resolve(), ledger);
    const placement = await unopened.keep([trace(traceId(1)), trace(traceId(2))], 'the store is unavailable');
    expect(placement).toMatchObject({ dropped: expect.any(SpoolFullError) });
    expect(ledger.counters).toMatchObject({ spooled: 0, dropped: 2 });
    expect(ledger.lastError?.message).toMatch(
      /2 trace\(s\) lost: the store is unavailable and the spool could not be opened/,
    );
  });
});
