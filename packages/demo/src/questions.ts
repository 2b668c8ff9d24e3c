/**
 * The questions the demo asks, each with the SQL that answers it on the sample database. Relative
 * periods ("last 4 weeks", "yesterday") are measured back from the newest production day in the
 * data, so the answers do not depend on the day the demo runs.
 */

export const QUESTION_CATEGORIES = [
  'production_efficiency',
  'production_volume',
  'downtime',
  'quality',
  'workforce',
] as const;
export type QuestionCategory = (typeof QUESTION_CATEGORIES)[number];

export const COMPLEXITIES = ['simple', 'moderate', 'complex'] as const;
export type Complexity = (typeof COMPLEXITIES)[number];

export interface DemoQuestion {
  readonly id: string;
  readonly text: string;
  readonly category: QuestionCategory;
  readonly complexity: Complexity;
  /** SQL that answers the question correctly on the sample database. */
  readonly referenceSql: string;
}

const LATEST_DAY = '(SELECT MAX(run_date) FROM production_runs)';

export const DEMO_QUESTIONS: readonly DemoQuestion[] = [
  // ---- production efficiency: actual output against plan
  {
    id: 'efficiency-trend-4-weeks',
    text: 'Show production efficiency trends for the last 4 weeks',
    category: 'production_efficiency',
    complexity: 'moderate',
    referenceSql: `SELECT strftime('%Y-%W', run_date) AS week,
       ROUND(100.0 * SUM(actual_units) / SUM(planned_units), 1) AS efficiency_pct
FROM production_runs
WHERE run_date > date(${LATEST_DAY}, '-28 days')
GROUP BY week
ORDER BY week`,
  },
  {
    id: 'efficiency-by-plant',
    text: 'What is the production efficiency of each plant?',
    category: 'production_efficiency',
    complexity: 'moderate',
    referenceSql: `SELECT p.name AS plant,
       ROUND(100.0 * SUM(r.actual_units) / SUM(r.planned_units), 1) AS efficiency_pct
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
JOIN plants p ON p.plant_id = l.plant_id
GROUP BY p.name
ORDER BY efficiency_pct DESC`,
  },
  {
    id: 'least-efficient-line',
    text: 'Which production line has the lowest efficiency?',
    category: 'production_efficiency',
    complexity: 'moderate',
    referenceSql: `SELECT l.name AS line,
       ROUND(100.0 * SUM(r.actual_units) / SUM(r.planned_units), 1) AS efficiency_pct
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
GROUP BY l.name
ORDER BY efficiency_pct ASC
LIMIT 1`,
  },
  {
    id: 'efficiency-by-shift',
    text: 'Compare efficiency between the day, evening and night shifts',
    category: 'production_efficiency',
    complexity: 'moderate',
    referenceSql: `SELECT s.name AS shift,
       ROUND(100.0 * SUM(r.actual_units) / SUM(r.planned_units), 1) AS efficiency_pct
FROM production_runs r
JOIN shifts s ON s.shift_id = r.shift_id
GROUP BY s.shift_id, s.name
ORDER BY s.shift_id`,
  },
  {
    id: 'weekly-efficiency-per-plant',
    text: 'Show weekly efficiency per plant over the whole period',
    category: 'production_efficiency',
    complexity: 'complex',
    referenceSql: `SELECT strftime('%Y-%W', r.run_date) AS week,
       p.name AS plant,
       ROUND(100.0 * SUM(r.actual_units) / SUM(r.planned_units), 1) AS efficiency_pct
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
JOIN plants p ON p.plant_id = l.plant_id
GROUP BY week, p.name
ORDER BY week, p.name`,
  },
  {
    id: 'efficiency-yesterday',
    text: 'What was the overall efficiency yesterday?',
    category: 'production_efficiency',
    complexity: 'simple',
    referenceSql: `SELECT ROUND(100.0 * SUM(actual_units) / SUM(planned_units), 1) AS efficiency_pct
FROM production_runs
WHERE run_date = ${LATEST_DAY}`,
  },
  {
    id: 'lines-below-target-2-weeks',
    text: 'Which lines fell below 85% efficiency in the last 2 weeks?',
    category: 'production_efficiency',
    complexity: 'complex',
    referenceSql: `SELECT l.name AS line,
       ROUND(100.0 * SUM(r.actual_units) / SUM(r.planned_units), 1) AS efficiency_pct
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
WHERE r.run_date > date(${LATEST_DAY}, '-14 days')
GROUP BY l.name
HAVING 100.0 * SUM(r.actual_units) / SUM(r.planned_units) < 85
ORDER BY efficiency_pct`,
  },
  {
    id: 'worst-line-daily-trend',
    text: 'Show the daily efficiency of the worst line for the last 14 days',
    category: 'production_efficiency',
    complexity: 'complex',
    referenceSql: `WITH worst_line AS (
  SELECT line_id
  FROM production_runs
  GROUP BY line_id
  ORDER BY 1.0 * SUM(actual_units) / SUM(planned_units)
  LIMIT 1
)
SELECT r.run_date,
       ROUND(100.0 * SUM(r.actual_units) / SUM(r.planned_units), 1) AS efficiency_pct
FROM production_runs r
JOIN worst_line w ON w.line_id = r.line_id
WHERE r.run_date > date(${LATEST_DAY}, '-14 days')
GROUP BY r.run_date
ORDER BY r.run_date`,
  },
  {
    id: 'rank-lines-within-plant',
    text: 'Rank the lines by efficiency within each plant',
    category: 'production_efficiency',
    complexity: 'complex',
    referenceSql: `SELECT p.name AS plant,
       l.name AS line,
       ROUND(100.0 * SUM(r.actual_units) / SUM(r.planned_units), 1) AS efficiency_pct,
       RANK() OVER (PARTITION BY p.plant_id ORDER BY 1.0 * SUM(r.actual_units) / SUM(r.planned_units) DESC) AS plant_rank
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
JOIN plants p ON p.plant_id = l.plant_id
GROUP BY p.plant_id, p.name, l.name
ORDER BY p.name, plant_rank`,
  },

  // ---- production volume: how much was made
  {
    id: 'units-last-week',
    text: 'How many units were produced in the last 7 days?',
    category: 'production_volume',
    complexity: 'simple',
    referenceSql: `SELECT SUM(actual_units) AS units_produced
FROM production_runs
WHERE run_date > date(${LATEST_DAY}, '-7 days')`,
  },
  {
    id: 'units-per-plant',
    text: 'Total units produced per plant',
    category: 'production_volume',
    complexity: 'simple',
    referenceSql: `SELECT p.name AS plant, SUM(r.actual_units) AS units_produced
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
JOIN plants p ON p.plant_id = l.plant_id
GROUP BY p.name
ORDER BY units_produced DESC`,
  },
  {
    id: 'daily-output-detroit-month',
    text: 'Show daily output for the Detroit plant this month',
    category: 'production_volume',
    complexity: 'moderate',
    referenceSql: `SELECT r.run_date, SUM(r.actual_units) AS units_produced
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
JOIN plants p ON p.plant_id = l.plant_id
WHERE p.city = 'Detroit'
  AND r.run_date >= date(${LATEST_DAY}, 'start of month')
GROUP BY r.run_date
ORDER BY r.run_date`,
  },
  {
    id: 'top-products-30-days',
    text: 'Which 5 products had the highest output in the last 30 days?',
    category: 'production_volume',
    complexity: 'moderate',
    referenceSql: `SELECT pr.name AS product, SUM(r.actual_units) AS units_produced
FROM production_runs r
JOIN products pr ON pr.product_id = r.product_id
WHERE r.run_date > date(${LATEST_DAY}, '-30 days')
GROUP BY pr.name
ORDER BY units_produced DESC
LIMIT 5`,
  },
  {
    id: 'runs-per-line-and-shift',
    text: 'How many production runs did each line complete per shift?',
    category: 'production_volume',
    complexity: 'moderate',
    referenceSql: `SELECT l.name AS line, s.name AS shift, COUNT(*) AS runs
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
JOIN shifts s ON s.shift_id = r.shift_id
GROUP BY l.name, s.name
ORDER BY l.name, s.name`,
  },
  {
    id: 'planned-vs-actual-by-family',
    text: 'Show planned versus actual output by product family per week',
    category: 'production_volume',
    complexity: 'complex',
    referenceSql: `SELECT strftime('%Y-%W', r.run_date) AS week,
       pr.family,
       SUM(r.planned_units) AS planned_units,
       SUM(r.actual_units) AS actual_units
FROM production_runs r
JOIN products pr ON pr.product_id = r.product_id
GROUP BY week, pr.family
ORDER BY week, pr.family`,
  },
  {
    id: 'output-by-line-type',
    text: 'What is the average output per run for each line type?',
    category: 'production_volume',
    complexity: 'moderate',
    referenceSql: `SELECT l.line_type, ROUND(AVG(r.actual_units), 1) AS avg_units_per_run
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
GROUP BY l.line_type
ORDER BY avg_units_per_run DESC`,
  },
  {
    id: 'production-value-per-plant',
    text: 'What was the value of the units produced at each plant last month?',
    category: 'production_volume',
    complexity: 'complex',
    referenceSql: `SELECT p.name AS plant, ROUND(SUM(r.actual_units * pr.unit_cost), 2) AS production_value
FROM production_runs r
JOIN products pr ON pr.product_id = r.product_id
JOIN production_lines l ON l.line_id = r.line_id
JOIN plants p ON p.plant_id = l.plant_id
WHERE r.run_date >= date(${LATEST_DAY}, 'start of month', '-1 month')
  AND r.run_date < date(${LATEST_DAY}, 'start of month')
GROUP BY p.name
ORDER BY production_value DESC`,
  },

  // ---- downtime
  {
    id: 'downtime-by-line',
    text: 'Total downtime minutes by line',
    category: 'downtime',
    complexity: 'simple',
    referenceSql: `SELECT l.name AS line, SUM(d.minutes) AS downtime_minutes
FROM downtime_events d
JOIN production_lines l ON l.line_id = d.line_id
GROUP BY l.name
ORDER BY downtime_minutes DESC`,
  },
  {
    id: 'top-downtime-reasons-detroit',
    text: 'Top 5 downtime reasons at the Detroit plant',
    category: 'downtime',
    complexity: 'moderate',
    referenceSql: `SELECT dr.description AS reason, SUM(d.minutes) AS downtime_minutes
FROM downtime_events d
JOIN downtime_reasons dr ON dr.reason_id = d.reason_id
JOIN production_lines l ON l.line_id = d.line_id
JOIN plants p ON p.plant_id = l.plant_id
WHERE p.city = 'Detroit'
GROUP BY dr.description
ORDER BY downtime_minutes DESC
LIMIT 5`,
  },
  {
    id: 'unplanned-downtime-per-plant-30-days',
    text: 'How much unplanned downtime did each plant have in the last 30 days?',
    category: 'downtime',
    complexity: 'moderate',
    referenceSql: `SELECT p.name AS plant, SUM(d.minutes) AS unplanned_minutes
FROM downtime_events d
JOIN downtime_reasons dr ON dr.reason_id = d.reason_id
JOIN production_lines l ON l.line_id = d.line_id
JOIN plants p ON p.plant_id = l.plant_id
WHERE dr.category = 'unplanned'
  AND d.started_at > date(${LATEST_DAY}, '-30 days')
GROUP BY p.name
ORDER BY unplanned_minutes DESC`,
  },
  {
    id: 'most-frequent-downtime-reasons',
    text: 'What are the most frequent downtime reasons?',
    category: 'downtime',
    complexity: 'simple',
    referenceSql: `SELECT dr.description AS reason, COUNT(*) AS events
FROM downtime_events d
JOIN downtime_reasons dr ON dr.reason_id = d.reason_id
GROUP BY dr.description
ORDER BY events DESC`,
  },
  {
    id: 'average-downtime-by-shift',
    text: 'Average downtime per stoppage by shift',
    category: 'downtime',
    complexity: 'moderate',
    referenceSql: `SELECT s.name AS shift, ROUND(AVG(d.minutes), 1) AS avg_minutes, COUNT(*) AS stoppages
FROM downtime_events d
JOIN production_runs r ON r.run_id = d.run_id
JOIN shifts s ON s.shift_id = r.shift_id
GROUP BY s.shift_id, s.name
ORDER BY s.shift_id`,
  },
  {
    id: 'weekly-downtime-worst-line',
    text: 'Show downtime hours per week for the line with the most downtime',
    category: 'downtime',
    complexity: 'complex',
    referenceSql: `WITH worst_line AS (
  SELECT line_id
  FROM downtime_events
  GROUP BY line_id
  ORDER BY SUM(minutes) DESC
  LIMIT 1
)
SELECT strftime('%Y-%W', d.started_at) AS week, ROUND(SUM(d.minutes) / 60.0, 1) AS downtime_hours
FROM downtime_events d
JOIN worst_line w ON w.line_id = d.line_id
GROUP BY week
ORDER BY week`,
  },
  {
    id: 'longest-downtime-events',
    text: 'List the 10 longest downtime events with their line and reason',
    category: 'downtime',
    complexity: 'moderate',
    referenceSql: `SELECT d.started_at, l.name AS line, dr.description AS reason, d.minutes
FROM downtime_events d
JOIN production_lines l ON l.line_id = d.line_id
JOIN downtime_reasons dr ON dr.reason_id = d.reason_id
ORDER BY d.minutes DESC, d.event_id
LIMIT 10`,
  },
  {
    id: 'share-of-time-lost-per-line',
    text: 'What percentage of scheduled time was lost to downtime on each line?',
    category: 'downtime',
    complexity: 'complex',
    referenceSql: `SELECT l.name AS line,
       ROUND(100.0 * COALESCE(SUM(dt.minutes), 0) / (COUNT(*) * 480), 2) AS pct_time_lost
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
LEFT JOIN (SELECT run_id, SUM(minutes) AS minutes FROM downtime_events GROUP BY run_id) dt
  ON dt.run_id = r.run_id
GROUP BY l.name
ORDER BY pct_time_lost DESC`,
  },
  {
    id: 'planned-vs-unplanned-per-plant',
    text: 'Show planned versus unplanned downtime per plant',
    category: 'downtime',
    complexity: 'moderate',
    referenceSql: `SELECT p.name AS plant, dr.category, SUM(d.minutes) AS downtime_minutes
FROM downtime_events d
JOIN downtime_reasons dr ON dr.reason_id = d.reason_id
JOIN production_lines l ON l.line_id = d.line_id
JOIN plants p ON p.plant_id = l.plant_id
GROUP BY p.name, dr.category
ORDER BY p.name, dr.category`,
  },
  {
    id: 'mechanical-failures-per-line',
    text: 'How many mechanical failures did each line have?',
    category: 'downtime',
    complexity: 'moderate',
    referenceSql: `SELECT l.name AS line, COUNT(*) AS failures, SUM(d.minutes) AS downtime_minutes
FROM downtime_events d
JOIN downtime_reasons dr ON dr.reason_id = d.reason_id
JOIN production_lines l ON l.line_id = d.line_id
WHERE dr.code = 'MECH'
GROUP BY l.name
ORDER BY failures DESC`,
  },

  // ---- quality
  {
    id: 'scrap-rate-per-shift',
    text: 'Scrap rate per shift',
    category: 'quality',
    complexity: 'moderate',
    referenceSql: `SELECT s.name AS shift,
       ROUND(100.0 * SUM(q.scrap_units) / SUM(r.actual_units), 2) AS scrap_rate_pct
FROM production_runs r
JOIN shifts s ON s.shift_id = r.shift_id
JOIN (SELECT run_id, SUM(scrap_units) AS scrap_units FROM quality_checks GROUP BY run_id) q
  ON q.run_id = r.run_id
GROUP BY s.shift_id, s.name
ORDER BY s.shift_id`,
  },
  {
    id: 'highest-defect-rate-product',
    text: 'Which product has the highest defect rate?',
    category: 'quality',
    complexity: 'moderate',
    referenceSql: `SELECT pr.name AS product,
       ROUND(100.0 * SUM(q.defects) / SUM(q.sample_size), 2) AS defect_rate_pct
FROM quality_checks q
JOIN production_runs r ON r.run_id = q.run_id
JOIN products pr ON pr.product_id = r.product_id
GROUP BY pr.name
ORDER BY defect_rate_pct DESC
LIMIT 1`,
  },
  {
    id: 'failed-checks-last-week',
    text: 'How many quality checks failed in the last 7 days?',
    category: 'quality',
    complexity: 'simple',
    referenceSql: `SELECT COUNT(*) AS failed_checks
FROM quality_checks
WHERE passed = 0
  AND checked_at > date(${LATEST_DAY}, '-7 days')`,
  },
  {
    id: 'scrap-rate-by-plant-4-weeks',
    text: 'Show the scrap rate by plant for the last 4 weeks',
    category: 'quality',
    complexity: 'moderate',
    referenceSql: `SELECT p.name AS plant,
       ROUND(100.0 * SUM(q.scrap_units) / SUM(r.actual_units), 2) AS scrap_rate_pct
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
JOIN plants p ON p.plant_id = l.plant_id
JOIN (SELECT run_id, SUM(scrap_units) AS scrap_units FROM quality_checks GROUP BY run_id) q
  ON q.run_id = r.run_id
WHERE r.run_date > date(${LATEST_DAY}, '-28 days')
GROUP BY p.name
ORDER BY scrap_rate_pct DESC`,
  },
  {
    id: 'first-pass-yield-stuttgart',
    text: 'Show the daily first pass yield for the Stuttgart plant',
    category: 'quality',
    complexity: 'complex',
    referenceSql: `SELECT r.run_date,
       ROUND(100.0 * (SUM(r.actual_units) - SUM(q.scrap_units)) / SUM(r.actual_units), 2) AS first_pass_yield_pct
FROM production_runs r
JOIN production_lines l ON l.line_id = r.line_id
JOIN plants p ON p.plant_id = l.plant_id
JOIN (SELECT run_id, SUM(scrap_units) AS scrap_units FROM quality_checks GROUP BY run_id) q
  ON q.run_id = r.run_id
WHERE p.city = 'Stuttgart'
GROUP BY r.run_date
ORDER BY r.run_date`,
  },
  {
    id: 'lines-scrap-above-plant-average',
    text: 'Which lines have a scrap rate above their plant average?',
    category: 'quality',
    complexity: 'complex',
    referenceSql: `WITH line_scrap AS (
  SELECT l.plant_id, l.name AS line, 1.0 * SUM(q.scrap_units) / SUM(r.actual_units) AS scrap_rate
  FROM production_runs r
  JOIN production_lines l ON l.line_id = r.line_id
  JOIN (SELECT run_id, SUM(scrap_units) AS scrap_units FROM quality_checks GROUP BY run_id) q
    ON q.run_id = r.run_id
  GROUP BY l.plant_id, l.name
)
SELECT p.name AS plant, ls.line, ROUND(100 * ls.scrap_rate, 2) AS scrap_rate_pct
FROM line_scrap ls
JOIN plants p ON p.plant_id = ls.plant_id
WHERE ls.scrap_rate > (SELECT AVG(x.scrap_rate) FROM line_scrap x WHERE x.plant_id = ls.plant_id)
ORDER BY p.name, scrap_rate_pct DESC`,
  },
  {
    id: 'scrapped-units-by-product',
    text: 'Total scrapped units by product',
    category: 'quality',
    complexity: 'simple',
    referenceSql: `SELECT pr.name AS product, SUM(q.scrap_units) AS scrapped_units
FROM quality_checks q
JOIN production_runs r ON r.run_id = q.run_id
JOIN products pr ON pr.product_id = r.product_id
GROUP BY pr.name
ORDER BY scrapped_units DESC`,
  },
  {
    id: 'night-vs-day-scrap-per-plant',
    text: 'Compare the night shift scrap rate with the day shift for each plant',
    category: 'quality',
    complexity: 'complex',
    referenceSql: `SELECT p.name AS plant,
       ROUND(100.0 * SUM(CASE WHEN s.name = 'Day' THEN q.scrap_units END)
             / SUM(CASE WHEN s.name = 'Day' THEN r.actual_units END), 2) AS day_scrap_pct,
       ROUND(100.0 * SUM(CASE WHEN s.name = 'Night' THEN q.scrap_units END)
             / SUM(CASE WHEN s.name = 'Night' THEN r.actual_units END), 2) AS night_scrap_pct
FROM production_runs r
JOIN shifts s ON s.shift_id = r.shift_id
JOIN production_lines l ON l.line_id = r.line_id
JOIN plants p ON p.plant_id = l.plant_id
JOIN (SELECT run_id, SUM(scrap_units) AS scrap_units FROM quality_checks GROUP BY run_id) q
  ON q.run_id = r.run_id
GROUP BY p.name
ORDER BY p.name`,
  },
  {
    id: 'scrap-by-weekday',
    text: 'Which day of the week has the highest scrap rate?',
    category: 'quality',
    complexity: 'moderate',
    referenceSql: `SELECT CASE strftime('%w', r.run_date)
         WHEN '1' THEN 'Monday' WHEN '2' THEN 'Tuesday' WHEN '3' THEN 'Wednesday'
         WHEN '4' THEN 'Thursday' WHEN '5' THEN 'Friday' WHEN '6' THEN 'Saturday' ELSE 'Sunday'
       END AS weekday,
       ROUND(100.0 * SUM(q.scrap_units) / SUM(r.actual_units), 2) AS scrap_rate_pct
FROM production_runs r
JOIN (SELECT run_id, SUM(scrap_units) AS scrap_units FROM quality_checks GROUP BY run_id) q
  ON q.run_id = r.run_id
GROUP BY weekday
ORDER BY scrap_rate_pct DESC
LIMIT 1`,
  },

  // ---- workforce
  {
    id: 'inspectors-most-defects',
    text: 'Which inspectors found the most defects?',
    category: 'workforce',
    complexity: 'moderate',
    referenceSql: `SELECT o.full_name AS inspector, SUM(q.defects) AS defects_found, COUNT(*) AS checks
FROM quality_checks q
JOIN operators o ON o.operator_id = q.inspector_id
GROUP BY o.operator_id, o.full_name
ORDER BY defects_found DESC
LIMIT 10`,
  },
  {
    id: 'staff-per-plant',
    text: 'How many operators, inspectors and supervisors work at each plant?',
    category: 'workforce',
    complexity: 'simple',
    referenceSql: `SELECT p.name AS plant, o.role, COUNT(*) AS people
FROM operators o
JOIN plants p ON p.plant_id = o.plant_id
GROUP BY p.name, o.role
ORDER BY p.name, o.role`,
  },
  {
    id: 'operators-most-runs-last-month',
    text: 'Which operators led the most production runs last month?',
    category: 'workforce',
    complexity: 'moderate',
    referenceSql: `SELECT o.full_name AS operator, COUNT(*) AS runs
FROM production_runs r
JOIN operators o ON o.operator_id = r.operator_id
WHERE r.run_date >= date(${LATEST_DAY}, 'start of month', '-1 month')
  AND r.run_date < date(${LATEST_DAY}, 'start of month')
GROUP BY o.operator_id, o.full_name
ORDER BY runs DESC
LIMIT 10`,
  },
  {
    id: 'efficiency-per-operator',
    text: 'Show the average efficiency per lead operator with at least 20 runs',
    category: 'workforce',
    complexity: 'complex',
    referenceSql: `SELECT o.full_name AS operator,
       COUNT(*) AS runs,
       ROUND(100.0 * SUM(r.actual_units) / SUM(r.planned_units), 1) AS efficiency_pct
FROM production_runs r
JOIN operators o ON o.operator_id = r.operator_id
GROUP BY o.operator_id, o.full_name
HAVING COUNT(*) >= 20
ORDER BY efficiency_pct DESC`,
  },
];

const byText = new Map(DEMO_QUESTIONS.map((q) => [normalizeQuestion(q.text), q]));

/** Lower case, punctuation dropped, spaces collapsed: how questions are matched and de-duplicated. */
export function normalizeQuestion(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9%]+/g, ' ')
    .trim();
}

/** The demo question with this text (compared normalised), if any. */
export function findQuestion(text: string): DemoQuestion | undefined {
  return byText.get(normalizeQuestion(text));
}
