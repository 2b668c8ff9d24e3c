/**
 * The parking lot with a fake store: feedback waits for its query and is tried again until it is
 * written or its tries run out (dead-lettered); unattached spans are counted apart and ignored at
 * the end; a pass while the store is unavailable is no attempt.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readDeadLetters } from '../../src/keep/dead-letter-store.js';
import { openLanes, trace, traceId } from './lane-fixtures.js';
import type { Lanes } from './lane-fixtures.js';

const WAITING = { kind: 'parked', reason: 'feedback waits for its query' } as const;

describe('parking lot', () => {
  let lanes: Lanes | undefined;
  afterEach(() => lanes?.close());

  it('parks feedback, retries it each pass, and writes it once its query is stored', async () => {
    lanes = await openLanes();
    const { parking, store, ledger, place } = lanes;
    const feedback = trace(traceId(7));
    store.answer = () => WAITING;
    expect(await place(feedback, WAITING, { replayed: false })).toBe('parked');
    expect(parking.traces).toBe(1);
    await parking.retry(store.write, place, 10); // still waiting: back in the lot, counted once
    expect(parking.traces).toBe(1);
    expect(ledger.counters).toMatchObject({ parked: 1, parkedUnattached: 0, written: 0 });
    store.answer = () => ({ kind: 'committed' });
    await parking.retry(store.write, place, 10);
    expect(parking.traces).toBe(0);
    expect(ledger.counters).toMatchObject({ parked: 1, written: 1, replayed: 0, deadLettered: 0 });
    expect(store.batches).toEqual([[traceId(7)], [traceId(7)]]);
  });

  it('dead-letters feedback whose query never comes, after its tries, with the reason', async () => {
    lanes = await openLanes({ maxAttempts: 3 });
    const { parking, store, ledger, place, deadLetterDirectory } = lanes;
    store.answer = () => WAITING;
    await place(trace(traceId(8)), WAITING, { replayed: false }); // try 1
    await parking.retry(store.write, place, 10); // try 2
    expect(parking.traces).toBe(1);
    await parking.retry(store.write, place, 10); // try 3: gives up
    expect(parking.traces).toBe(0);
    expect(ledger.counters).toMatchObject({ parked: 1, deadLettered: 1 });
    const [letter] = await readDeadLetters(deadLetterDirectory);
    expect(letter).toMatchObject({
      traceId: traceId(8),
      reason: expect.stringMatching(/^feedback waits for its query; gave up after 3 attempt\(s\)/),
    });
  });

  it('does not count a pass as a try while the store is unavailable', async () => {
    lanes = await openLanes({ maxAttempts: 2 });
    const { parking, store, ledger, place } = lanes;
    await place(trace(traceId(9)), WAITING, { replayed: false });
    store.available = false;
    for (let pass = 0; pass < 3; pass += 1) await parking.retry(store.write, place, 10);
    expect(parking.traces).toBe(1);
    expect(ledger.counters.deadLettered).toBe(0);
  });

  it('counts unattached spans apart from feedback, and ignores them when their tries run out', async () => {
    lanes = await openLanes({ unattachedSpans: true, maxAttempts: 2 });
    const { parking, store, ledger, place } = lanes;
    const libraryOnly = trace(traceId(10), { parent: 'aaaaaaaaaaaaaaaa' });
    const ownRoot = trace(traceId(11));
    store.answer = () => ({ kind: 'ignored' });
    expect(await place(libraryOnly, { kind: 'ignored' }, { replayed: false })).toBe('parked');
    // With its root and no stage it is a trace of its own: ignored at once, never parked.
    expect(await place(ownRoot, { kind: 'ignored' }, { replayed: false })).toBe('ignored');
    await place(trace(traceId(12)), WAITING, { replayed: false });
    expect(ledger.counters).toMatchObject({ parked: 2, parkedUnattached: 1, ignored: 1 });
    expect(parking.traces).toBe(2);
    store.answer = (id) => (id === traceId(10) ? { kind: 'ignored' } : WAITING);
    await parking.retry(store.write, place, 10);
    expect(ledger.counters).toMatchObject({ parked: 2, parkedUnattached: 1, ignored: 2, deadLettered: 1 });
    expect(parking.traces).toBe(0);
  });

  it('retries in batches, in the order the traces were parked', async () => {
    lanes = await openLanes();
    const { parking, store, place } = lanes;
    for (const n of [1, 2, 3, 4, 5]) await place(trace(traceId(n)), WAITING, { replayed: false });
    store.answer = () => ({ kind: 'committed' });
    await parking.retry(store.write, place, 2);
    expect(store.batches).toEqual([[traceId(1), traceId(2)], [traceId(3), traceId(4)], [traceId(5)]]);
    expect(parking.traces).toBe(0);
  });
});
