/**
 * What a writer is told: the placements of one write become its result, or the error that says
 * where its traces went when it asked for their commit.
 */
import { describe, expect, it } from 'vitest';
import { RecordingError, SpoolFullError, StoreUnavailableError } from '@aitdr/conventions';
import { resultOfWrite } from '../../src/keep/placement.js';
import type { Placement } from '../../src/keep/placement.js';

const where = { deadLetterDirectory: '/state/dead-letter', lastError: 'connection refused' };

describe('placement of a write', () => {
  it('counts where the traces went when they only had to be accepted', () => {
    const placements: Placement[] = [
      'committed',
      'spooled',
      'parked',
      'dead-lettered',
      'ignored',
      'committed',
    ];
    expect(resultOfWrite(placements, 'accepted', where)).toEqual({
      committed: 2,
      spooled: 1,
      parked: 1,
      deadLettered: 1,
    });
  });

  it('refuses a committed write with the first reason in order: dead-lettered, parked, spooled', () => {
    expect(() => resultOfWrite(['committed', 'spooled', 'dead-lettered'], 'committed', where)).toThrow(
      expect.objectContaining({
        code: 'DEAD_LETTERED',
        message: expect.stringContaining('/state/dead-letter'),
      }),
    );
    expect(() => resultOfWrite(['spooled', 'parked'], 'committed', where)).toThrow(
      expect.objectContaining({ code: 'PARKED' }),
    );
    const spooled = () => resultOfWrite(['committed', 'spooled'], 'committed', where);
    expect(spooled).toThrow(StoreUnavailableError);
    expect(spooled).toThrow(
      /1 trace\(s\) spooled for replay: the store is unavailable \(connection refused\)/,
    );
    expect(resultOfWrite(['committed', 'ignored'], 'committed', where)).toMatchObject({ committed: 1 });
  });

  it('throws the drop whatever the requirement: a trace was lost', () => {
    const dropped = new SpoolFullError('spool full');
    for (const require of ['accepted', 'committed'] as const) {
      expect(() => resultOfWrite(['committed', { dropped }], require, where)).toThrow(dropped);
    }
    expect(dropped).toBeInstanceOf(RecordingError);
  });
});
