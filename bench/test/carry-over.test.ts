/**
 * Figures measured by a separate run (the 1,000,000-query sizes) are kept in the results file
 * with that run's date, and carried over by the next full run, which leaves them without a value.
 */
import { describe, expect, it } from 'vitest';
import type { Figure } from '../src/harness/figures.js';
import { carryOver, mergeSeparateRun, renderMarkdown } from '../src/harness/report.js';
import type { Results } from '../src/harness/report.js';

const figure = (id: string, value: number | null, benchmark = '5 dataset export'): Figure => ({
  benchmark,
  figure: id,
  label: id,
  value,
  unit: 'MiB',
});

const results = (figures: Figure[]): Results => ({
  date: '2026-12-07T00:00:00.000Z',
  mode: 'full',
  seconds: 350,
  environment: {
    node: 'v24',
    cpu: 'cpu',
    cores: 2,
    memoryGiB: 8,
    os: 'linux',
    loadAverageAtStart: 1,
    packages: {},
  },
  benchmarks: [],
  figures,
});

const separateRun = {
  script: 'benchmarks/store-size.ts',
  seconds: 240,
  exitCode: 0,
  date: '2026-12-07T02:00:00.000Z',
  mode: 'full' as const,
  loadAverageAtStart: 2,
};

describe('figures of a separate run', () => {
  const full = results([
    figure('export.store_mib', 2829),
    figure('export.large.store_mib', null),
    figure('scaling.ratio', 1.2, '6 collector scaling'),
  ]);

  it('are merged in place of the unmeasured ones, dated, the rest untouched', () => {
    const merged = mergeSeparateRun(full, separateRun, [figure('export.large.store_mib', 14_000)]);
    expect(merged.figures.map((f) => [f.figure, f.value, f.measuredSeparately])).toEqual([
      ['export.store_mib', 2829, undefined],
      ['export.large.store_mib', 14_000, separateRun.date],
      ['scaling.ratio', 1.2, undefined],
    ]);
    expect(merged.separateRuns).toEqual([separateRun]);
    expect(renderMarkdown(merged)).toContain(`measured by the separate run of ${separateRun.date}`);
  });

  it('are carried over by a later run that leaves them without a value, and only those', () => {
    const merged = mergeSeparateRun(full, separateRun, [figure('export.large.store_mib', 14_000)]);
    const next = carryOver(merged, [
      figure('export.store_mib', 2900),
      figure('export.large.store_mib', null),
      figure('scaling.ratio', null, '6 collector scaling'),
    ]);
    expect(next.map((f) => [f.figure, f.value])).toEqual([
      ['export.store_mib', 2900],
      ['export.large.store_mib', 14_000],
      ['scaling.ratio', null],
    ]);
    expect(carryOver(undefined, [figure('export.large.store_mib', null)])[0]!.value).toBeNull();
  });
});
