import { existsSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createRng, DEFAULT_SEED } from '../random.js';
import type { Rng } from '../random.js';
import { MANUFACTURING_DDL, SAMPLE_TABLES } from './manufacturing-schema.js';
import type { SampleTable } from './manufacturing-schema.js';

export interface SampleDatabaseOptions {
  /** Seed of every generated value; the same seed gives the same file. Default `DEFAULT_SEED`. */
  seed?: string | number;
  /** Days of production history. Default 90. */
  days?: number;
  /** Last production day (YYYY-MM-DD). Fixed by default so a seed alone reproduces the file. */
  endDate?: string;
  /** Replace an existing file at the path. Default false: an existing file is an error. */
  overwrite?: boolean;
}

export interface SampleDatabaseSummary {
  readonly path: string;
  readonly seed: string;
  readonly startDate: string;
  readonly endDate: string;
  readonly rowCounts: Readonly<Record<SampleTable, number>>;
}

export const DEFAULT_HISTORY_DAYS = 90;
export const DEFAULT_END_DATE = '2026-09-30';

// ---- Dimension data. The hidden factors (`downtimeFactor`, `scrapFactor`, …) shape the facts so
// aggregate questions have meaningful answers; they are not stored.

const PLANTS = [
  {
    name: 'Detroit Assembly',
    city: 'Detroit',
    country: 'US',
    openedYear: 1987,
    code: 'DET',
    downtimeFactor: 1.45,
  },
  {
    name: 'Monterrey Components',
    city: 'Monterrey',
    country: 'MX',
    openedYear: 2009,
    code: 'MTY',
    downtimeFactor: 1,
  },
  {
    name: 'Stuttgart Precision',
    city: 'Stuttgart',
    country: 'DE',
    openedYear: 2015,
    code: 'STR',
    downtimeFactor: 0.8,
  },
] as const;

const LINE_TYPES = [
  { type: 'machining', ratedPerHour: 60 },
  { type: 'assembly', ratedPerHour: 45 },
  { type: 'paint', ratedPerHour: 80 },
  { type: 'packaging', ratedPerHour: 120 },
] as const;

/**
 * Performance tiers dealt to the twelve lines by the seed: most lines run near plan, two are
 * clearly worse, so "which line is worst" has a real answer whichever seed is used.
 */
const LINE_PERFORMANCE_TIERS = [0.97, 0.96, 0.95, 0.95, 0.94, 0.93, 0.93, 0.92, 0.91, 0.9, 0.85, 0.8];

const SHIFTS = [
  { name: 'Day', start: '06:00', end: '14:00', startHour: 6, efficiency: 1, scrapFactor: 1 },
  { name: 'Evening', start: '14:00', end: '22:00', startHour: 14, efficiency: 0.985, scrapFactor: 1.2 },
  { name: 'Night', start: '22:00', end: '06:00', startHour: 22, efficiency: 0.955, scrapFactor: 1.7 },
] as const;

const PRODUCTS = [
  {
    sku: 'BRK-100',
    name: 'Front brake caliper',
    family: 'Brakes',
    unitCost: 38.5,
    rateFactor: 0.9,
    defectFactor: 1.2,
  },
  {
    sku: 'BRK-200',
    name: 'Rear brake caliper',
    family: 'Brakes',
    unitCost: 31.2,
    rateFactor: 1,
    defectFactor: 1,
  },
  {
    sku: 'STE-310',
    name: 'Steering knuckle',
    family: 'Steering',
    unitCost: 54.0,
    rateFactor: 0.8,
    defectFactor: 1.5,
  },
  {
    sku: 'STE-320',
    name: 'Tie rod end',
    family: 'Steering',
    unitCost: 12.75,
    rateFactor: 1.2,
    defectFactor: 0.7,
  },
  {
    sku: 'DRV-410',
    name: 'Drive shaft',
    family: 'Driveline',
    unitCost: 96.0,
    rateFactor: 0.7,
    defectFactor: 1.3,
  },
  {
    sku: 'DRV-420',
    name: 'CV joint',
    family: 'Driveline',
    unitCost: 44.9,
    rateFactor: 0.9,
    defectFactor: 1.8,
  },
  {
    sku: 'HSG-510',
    name: 'Gearbox housing',
    family: 'Housings',
    unitCost: 71.4,
    rateFactor: 0.75,
    defectFactor: 1.1,
  },
  {
    sku: 'HSG-520',
    name: 'Pump housing',
    family: 'Housings',
    unitCost: 27.3,
    rateFactor: 1.1,
    defectFactor: 0.8,
  },
  {
    sku: 'ELC-610',
    name: 'Sensor bracket',
    family: 'Electrical',
    unitCost: 4.6,
    rateFactor: 1.4,
    defectFactor: 0.5,
  },
  {
    sku: 'ELC-620',
    name: 'Harness clip',
    family: 'Electrical',
    unitCost: 0.85,
    rateFactor: 1.5,
    defectFactor: 0.6,
  },
] as const;

const DOWNTIME_REASONS = [
  { code: 'MECH', description: 'Mechanical failure', category: 'unplanned', weight: 30, meanMinutes: 48 },
  { code: 'ELEC', description: 'Electrical fault', category: 'unplanned', weight: 14, meanMinutes: 32 },
  { code: 'MATL', description: 'Material shortage', category: 'unplanned', weight: 16, meanMinutes: 55 },
  { code: 'QHOLD', description: 'Quality hold', category: 'unplanned', weight: 9, meanMinutes: 40 },
  { code: 'STAFF', description: 'Operator unavailable', category: 'unplanned', weight: 8, meanMinutes: 25 },
  { code: 'CHGOV', description: 'Product changeover', category: 'planned', weight: 14, meanMinutes: 35 },
  { code: 'PM', description: 'Planned maintenance', category: 'planned', weight: 6, meanMinutes: 90 },
  { code: 'TOOL', description: 'Tooling change', category: 'planned', weight: 10, meanMinutes: 20 },
] as const;

const FIRST_NAMES = [
  'Ana',
  'Ben',
  'Carla',
  'Dmitri',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jamal',
  'Katrin',
  'Luis',
  'Maya',
  'Nils',
  'Olga',
  'Pedro',
  'Quinn',
  'Rosa',
  'Sven',
  'Tara',
  'Umar',
  'Vera',
  'Wen',
  'Yusuf',
] as const;
const LAST_NAMES = [
  'Alvarez',
  'Becker',
  'Chen',
  'Diaz',
  'Engel',
  'Fischer',
  'Garcia',
  'Hoffmann',
  'Ivanova',
  'Johnson',
  'Kowalski',
  'Lopez',
  'Meyer',
  'Nguyen',
  'Ortiz',
  'Patel',
  'Ramirez',
  'Schmidt',
  'Torres',
  'Walker',
] as const;

const OPERATORS_PER_PLANT = 12;
const INSPECTORS_PER_PLANT = 4;
const SUPERVISORS_PER_PLANT = 2;
const SHIFT_MINUTES = 480;
/** Planned output assumes 450 productive minutes per shift (breaks excluded). */
const PLANNED_MINUTES = 450;

// ---- Dates: plain UTC arithmetic on ISO text, so no time zone leaks into the data.

const DAY_MS = 86_400_000;

function parseDate(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return Date.parse(`${date}T00:00:00Z`);
}

function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

// ---- Generation

interface Line {
  id: number;
  plantIndex: number;
  ratedPerHour: number;
  performance: number;
  downtimeFactor: number;
  qualityFactor: number;
  productIds: number[];
  /** Lead operator of each shift's crew on this line. */
  crew: number[];
}

interface Operator {
  id: number;
  plantIndex: number;
  role: 'operator' | 'inspector' | 'supervisor';
}

/**
 * Creates the manufacturing sample database at `path` from a seed: the same seed and options give
 * the same file. Everything is written in one transaction.
 */
export function createSampleDatabase(
  path: string,
  options: SampleDatabaseOptions = {},
): SampleDatabaseSummary {
  const seed = String(options.seed ?? DEFAULT_SEED);
  const days = options.days ?? DEFAULT_HISTORY_DAYS;
  const endDate = options.endDate ?? DEFAULT_END_DATE;
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`days must be a positive integer, got ${days}`);
  const endMs = parseDate(endDate);
  const startMs = endMs - (days - 1) * DAY_MS;
  if (existsSync(path)) {
    if (options.overwrite !== true)
      throw new Error(`${path} already exists; pass overwrite: true to replace it`);
    // A fresh file, not emptied tables, so the result depends on the seed alone.
    for (const file of [path, `${path}-journal`, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
  }

  const db = new Database(path);
  try {
    // A rollback journal (not WAL) leaves one self-contained file, identical for identical input.
    db.pragma('journal_mode = DELETE');
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      for (const statement of MANUFACTURING_DDL) db.exec(statement);
      populate(db, createRng(seed), startMs, days);
    })();
    const rowCounts = Object.fromEntries(
      SAMPLE_TABLES.map((table) => [
        table,
        db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()!.n,
      ]),
    ) as Record<SampleTable, number>;
    return { path, seed, startDate: formatDate(startMs), endDate: formatDate(endMs), rowCounts };
  } finally {
    db.close();
  }
}

function populate(db: Database.Database, rng: Rng, startMs: number, days: number): void {
  const insertPlant = db.prepare('INSERT INTO plants VALUES (?, ?, ?, ?, ?)');
  PLANTS.forEach((plant, index) =>
    insertPlant.run(index + 1, plant.name, plant.city, plant.country, plant.openedYear),
  );

  const insertShift = db.prepare('INSERT INTO shifts VALUES (?, ?, ?, ?)');
  SHIFTS.forEach((shift, index) => insertShift.run(index + 1, shift.name, shift.start, shift.end));

  const insertProduct = db.prepare('INSERT INTO products VALUES (?, ?, ?, ?, ?)');
  PRODUCTS.forEach((product, index) =>
    insertProduct.run(index + 1, product.sku, product.name, product.family, product.unitCost),
  );

  const insertReason = db.prepare('INSERT INTO downtime_reasons VALUES (?, ?, ?, ?)');
  DOWNTIME_REASONS.forEach((reason, index) =>
    insertReason.run(index + 1, reason.code, reason.description, reason.category),
  );

  const operators = insertOperators(db, rng.fork('operators'), startMs);
  const lines = insertLines(db, rng.fork('lines'), operators);
  insertFacts(db, rng.fork('facts'), lines, operators, startMs, days);
}

function insertOperators(db: Database.Database, rng: Rng, startMs: number): Operator[] {
  const insert = db.prepare('INSERT INTO operators VALUES (?, ?, ?, ?, ?)');
  const operators: Operator[] = [];
  const usedNames = new Set<string>();
  PLANTS.forEach((_, plantIndex) => {
    const roles = [
      ...Array<'operator'>(OPERATORS_PER_PLANT).fill('operator'),
      ...Array<'inspector'>(INSPECTORS_PER_PLANT).fill('inspector'),
      ...Array<'supervisor'>(SUPERVISORS_PER_PLANT).fill('supervisor'),
    ];
    for (const role of roles) {
      let name: string;
      do name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
      while (usedNames.has(name));
      usedNames.add(name);
      const hiredOn = formatDate(startMs - rng.int(60, 365 * 15) * DAY_MS);
      const id = operators.length + 1;
      insert.run(id, plantIndex + 1, name, role, hiredOn);
      operators.push({ id, plantIndex, role });
    }
  });
  return operators;
}

function insertLines(db: Database.Database, rng: Rng, operators: readonly Operator[]): Line[] {
  const insert = db.prepare('INSERT INTO production_lines VALUES (?, ?, ?, ?, ?, ?)');
  const performance = rng.shuffle(LINE_PERFORMANCE_TIERS);
  const lines: Line[] = [];
  PLANTS.forEach((plant, plantIndex) => {
    const crewPool = rng.shuffle(
      operators.filter((o) => o.plantIndex === plantIndex && o.role === 'operator'),
    );
    LINE_TYPES.forEach((lineType, typeIndex) => {
      const id = lines.length + 1;
      const linePerformance = performance[id - 1]!;
      const rated = Math.round(lineType.ratedPerHour * rng.float(0.9, 1.1));
      insert.run(
        id,
        plantIndex + 1,
        `${plant.code}-L${typeIndex + 1}`,
        lineType.type,
        rated,
        plant.openedYear + rng.int(0, 8),
      );
      lines.push({
        id,
        plantIndex,
        ratedPerHour: rated,
        performance: linePerformance,
        // Lines that run badly also break down and scrap more: one root cause, several symptoms.
        downtimeFactor: plant.downtimeFactor * (1 + (0.97 - linePerformance) * 8),
        qualityFactor: 1 + (0.97 - linePerformance) * 6 + rng.float(-0.1, 0.1),
        productIds: rng
          .shuffle(PRODUCTS.map((_, index) => index + 1))
          .slice(0, rng.int(2, 4))
          .sort((a, b) => a - b),
        crew: SHIFTS.map(
          (_, shiftIndex) => crewPool[(typeIndex * SHIFTS.length + shiftIndex) % crewPool.length]!.id,
        ),
      });
    });
  });
  return lines;
}

function insertFacts(
  db: Database.Database,
  rng: Rng,
  lines: readonly Line[],
  operators: readonly Operator[],
  startMs: number,
  days: number,
): void {
  const insertRun = db.prepare('INSERT INTO production_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertDowntime = db.prepare('INSERT INTO downtime_events VALUES (?, ?, ?, ?, ?, ?)');
  const insertCheck = db.prepare('INSERT INTO quality_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const reasonWeights = Object.fromEntries(DOWNTIME_REASONS.map((r, i) => [String(i + 1), r.weight]));
  const inspectorsByPlant = PLANTS.map((_, plantIndex) =>
    operators.filter((o) => o.plantIndex === plantIndex && o.role === 'inspector').map((o) => o.id),
  );
  const plantOperators = PLANTS.map((_, plantIndex) =>
    operators.filter((o) => o.plantIndex === plantIndex && o.role === 'operator').map((o) => o.id),
  );
  // A supplier problem hits one plant for a week in the middle of the period: material shortages
  // and lost output that a weekly trend question can find.
  const disruptedPlant = rng.int(0, PLANTS.length - 1);
  const disruptionStart = Math.floor(days * 0.55);

  let runId = 0;
  let eventId = 0;
  let checkId = 0;
  for (let day = 0; day < days; day++) {
    const dayMs = startMs + day * DAY_MS;
    const weekday = new Date(dayMs).getUTCDay(); // 0 = Sunday
    if (weekday === 0) continue;
    const progress = day / Math.max(1, days - 1);
    for (const line of lines) {
      const plantDisrupted =
        line.plantIndex === disruptedPlant && day >= disruptionStart && day < disruptionStart + 7;
      SHIFTS.forEach((shift, shiftIndex) => {
        if (weekday === 6 && shiftIndex > 0) return; // Saturdays run the day shift only
        if (rng.chance(0.04)) return; // line not scheduled (no orders, planned stop)

        runId++;
        const productId = rng.pick(line.productIds);
        const product = PRODUCTS[productId - 1]!;
        const operatorId = rng.chance(0.85)
          ? line.crew[shiftIndex]!
          : rng.pick(plantOperators[line.plantIndex]!);
        const startedMs = dayMs + shift.startHour * 3_600_000 + rng.int(-10, 10) * 60_000;
        const endedMs = startedMs + SHIFT_MINUTES * 60_000 + rng.int(-5, 15) * 60_000;
        const plannedUnits = Math.round(((line.ratedPerHour * PLANNED_MINUTES) / 60) * product.rateFactor);

        // Downtime events of the run.
        const expectedEvents =
          0.3 * line.downtimeFactor * (shiftIndex === 2 ? 1.15 : 1) * (plantDisrupted ? 2.5 : 1);
        const eventCount = poisson(rng, expectedEvents);
        let downtimeMinutes = 0;
        const events: { reasonId: number; startedMs: number; minutes: number }[] = [];
        for (let e = 0; e < eventCount && downtimeMinutes < 360; e++) {
          const reasonId = plantDisrupted && rng.chance(0.6) ? 3 : Number(rng.weighted(reasonWeights));
          const reason = DOWNTIME_REASONS[reasonId - 1]!;
          const minutes = Math.min(
            360 - downtimeMinutes,
            Math.max(5, Math.round(reason.meanMinutes * Math.exp(rng.normal(-0.18, 0.6)))),
          );
          downtimeMinutes += minutes;
          events.push({ reasonId, startedMs: startedMs + rng.int(5, SHIFT_MINUTES - 30) * 60_000, minutes });
        }

        // Mexico's improvement programme shows as a rising efficiency trend over the period.
        const trend = line.plantIndex === 1 ? 0.97 + 0.05 * progress : 1;
        const rate = clamp(rng.normal(line.performance * shift.efficiency * trend, 0.035), 0.4, 1.08);
        const availability = Math.max(0, 1 - downtimeMinutes / PLANNED_MINUTES);
        const actualUnits = Math.round(plannedUnits * rate * availability);

        insertRun.run(
          runId,
          line.id,
          shiftIndex + 1,
          productId,
          operatorId,
          formatDate(dayMs),
          formatTimestamp(startedMs),
          formatTimestamp(endedMs),
          plannedUnits,
          actualUnits,
        );
        events.sort((a, b) => a.startedMs - b.startedMs);
        for (const event of events) {
          insertDowntime.run(
            ++eventId,
            runId,
            line.id,
            event.reasonId,
            formatTimestamp(event.startedMs),
            event.minutes,
          );
        }

        // Quality: defect rate driven by line, shift and product; the night shift scraps most.
        const defectRate = clamp(
          0.018 *
            line.qualityFactor *
            shift.scrapFactor *
            product.defectFactor *
            Math.exp(rng.normal(0, 0.25)),
          0.001,
          0.4,
        );
        const checks = rng.chance(shiftIndex === 2 ? 0.55 : 0.35) ? 2 : 1;
        let scrapLeft = Math.round(actualUnits * defectRate);
        for (let c = 0; c < checks; c++) {
          const sampleSize = rng.pick([30, 50, 50, 80]);
          const defects = binomial(rng, sampleSize, defectRate);
          const scrapUnits = c === checks - 1 ? scrapLeft : Math.round(scrapLeft * rng.float(0.3, 0.7));
          scrapLeft -= scrapUnits;
          const checkedMs =
            startedMs + Math.round(((c + 1) / (checks + 1)) * SHIFT_MINUTES + rng.int(-20, 20)) * 60_000;
          insertCheck.run(
            ++checkId,
            runId,
            rng.pick(inspectorsByPlant[line.plantIndex]!),
            formatTimestamp(checkedMs),
            sampleSize,
            defects,
            scrapUnits,
            defects / sampleSize <= 0.05 ? 1 : 0,
          );
        }
      });
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Knuth's method; fine for the small means used here. */
function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let count = 0;
  let product = rng.next();
  while (product > limit) {
    count++;
    product *= rng.next();
  }
  return count;
}

function binomial(rng: Rng, trials: number, p: number): number {
  let successes = 0;
  for (let i = 0; i < trials; i++) if (rng.next() < p) successes++;
  return successes;
}

/**
 * Opens the sample database read-only: the pipeline executes model-generated SQL on this
 * connection, so even SQL that slipped past validation cannot change the data.
 */
export function openSampleDatabase(path: string): Database.Database {
  return new Database(path, { readonly: true, fileMustExist: true });
}
