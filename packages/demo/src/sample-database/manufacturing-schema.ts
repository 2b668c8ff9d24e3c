/**
 * DDL of the manufacturing sample database the demo's questions are asked about. Dimension tables
 * first, so each CREATE can reference the ones before it. Dates are ISO-8601 text, which SQLite's
 * date functions read directly.
 */
export const MANUFACTURING_DDL: readonly string[] = [
  `CREATE TABLE plants (
  plant_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  city TEXT NOT NULL,
  country TEXT NOT NULL,
  opened_year INTEGER NOT NULL
)`,
  `CREATE TABLE production_lines (
  line_id INTEGER PRIMARY KEY,
  plant_id INTEGER NOT NULL REFERENCES plants(plant_id),
  name TEXT NOT NULL UNIQUE,
  line_type TEXT NOT NULL,
  rated_units_per_hour INTEGER NOT NULL CHECK (rated_units_per_hour > 0),
  commissioned_year INTEGER NOT NULL
)`,
  `CREATE TABLE shifts (
  shift_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  start_time TEXT NOT NULL,
  end_time TEXT NOT NULL
)`,
  `CREATE TABLE products (
  product_id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  family TEXT NOT NULL,
  unit_cost REAL NOT NULL
)`,
  `CREATE TABLE operators (
  operator_id INTEGER PRIMARY KEY,
  plant_id INTEGER NOT NULL REFERENCES plants(plant_id),
  full_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('operator', 'inspector', 'supervisor')),
  hired_on TEXT NOT NULL
)`,
  `CREATE TABLE downtime_reasons (
  reason_id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('planned', 'unplanned'))
)`,
  `CREATE TABLE production_runs (
  run_id INTEGER PRIMARY KEY,
  line_id INTEGER NOT NULL REFERENCES production_lines(line_id),
  shift_id INTEGER NOT NULL REFERENCES shifts(shift_id),
  product_id INTEGER NOT NULL REFERENCES products(product_id),
  operator_id INTEGER NOT NULL REFERENCES operators(operator_id),
  run_date TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT NOT NULL,
  planned_units INTEGER NOT NULL CHECK (planned_units > 0),
  actual_units INTEGER NOT NULL CHECK (actual_units >= 0)
)`,
  `CREATE TABLE downtime_events (
  event_id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES production_runs(run_id),
  line_id INTEGER NOT NULL REFERENCES production_lines(line_id),
  reason_id INTEGER NOT NULL REFERENCES downtime_reasons(reason_id),
  started_at TEXT NOT NULL,
  minutes INTEGER NOT NULL CHECK (minutes > 0)
)`,
  `CREATE TABLE quality_checks (
  check_id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES production_runs(run_id),
  inspector_id INTEGER NOT NULL REFERENCES operators(operator_id),
  checked_at TEXT NOT NULL,
  sample_size INTEGER NOT NULL CHECK (sample_size > 0),
  defects INTEGER NOT NULL CHECK (defects >= 0),
  scrap_units INTEGER NOT NULL CHECK (scrap_units >= 0),
  passed INTEGER NOT NULL CHECK (passed IN (0, 1))
)`,
  'CREATE INDEX production_runs_line_date_ix ON production_runs (line_id, run_date)',
  'CREATE INDEX production_runs_date_ix ON production_runs (run_date)',
  'CREATE INDEX production_runs_shift_ix ON production_runs (shift_id)',
  'CREATE INDEX production_runs_product_ix ON production_runs (product_id)',
  'CREATE INDEX production_runs_operator_ix ON production_runs (operator_id)',
  'CREATE INDEX downtime_events_line_ix ON downtime_events (line_id, started_at)',
  'CREATE INDEX downtime_events_run_ix ON downtime_events (run_id)',
  'CREATE INDEX downtime_events_reason_ix ON downtime_events (reason_id)',
  'CREATE INDEX quality_checks_run_ix ON quality_checks (run_id)',
  'CREATE INDEX quality_checks_inspector_ix ON quality_checks (inspector_id)',
];

/** The sample database's tables, parents first. */
export const SAMPLE_TABLES = [
  'plants',
  'production_lines',
  'shifts',
  'products',
  'operators',
  'downtime_reasons',
  'production_runs',
  'downtime_events',
  'quality_checks',
] as const;

export type SampleTable = (typeof SAMPLE_TABLES)[number];
