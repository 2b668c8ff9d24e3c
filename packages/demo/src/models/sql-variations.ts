import type { Rng } from '../random.js';
import { mapCode, scanSql } from '../sql/sql-text.js';

/**
 * How the model stand-ins turn a question's reference SQL into what "the model" answers: an
 * equivalent rewrite, a subtly wrong query, invalid SQL, or a statement that is not read-only.
 * Each rewrite works on the text outside string literals, so literals like 'Detroit' survive.
 */

type Rewrite = (sql: string, rng: Rng) => string | undefined;

/** Rewrites that the first applicable of, in a seeded order, is used. */
function firstApplicable(sql: string, rng: Rng, rewrites: readonly Rewrite[]): string | undefined {
  for (const rewrite of rng.shuffle(rewrites)) {
    const result = rewrite(sql, rng);
    if (result !== undefined && result !== sql) return result;
  }
  return undefined;
}

/** Replaces the first match of `pattern` in code (not in literals). */
function replaceFirstInCode(sql: string, pattern: RegExp, replacement: string): string | undefined {
  let done = false;
  const result = mapCode(sql, (code) => {
    if (done) return code;
    const replaced = code.replace(pattern, replacement);
    if (replaced !== code) done = true;
    return replaced;
  });
  return done ? result : undefined;
}

/** Replaces the first string literal that matches `pattern` entirely: how a period gets changed. */
function replaceLiteral(sql: string, pattern: RegExp, replacement: string): string | undefined {
  let done = false;
  const result = scanSql(sql)
    .map((segment) => {
      if (done || segment.kind !== 'string' || !pattern.test(segment.text)) return segment.text;
      done = true;
      return segment.text.replace(pattern, replacement);
    })
    .join('');
  return done ? result : undefined;
}

function replaceAllInCode(sql: string, pattern: RegExp, replacement: string): string | undefined {
  const result = mapCode(sql, (code) => code.replace(pattern, replacement));
  return result === sql ? undefined : result;
}

// ---- Equivalent rewrites: same result, different text. `normalizeSql` sees through all of them.

const TABLE_ALIAS =
  /\b(FROM|JOIN)\s+([a-z_]\w*)\s+(?:AS\s+)?([a-z_]\w*)\b(?=\s+(?:ON|USING|WHERE|GROUP|ORDER|LIMIT|JOIN|LEFT|$))/gi;

function renameAliases(sql: string, rng: Rng): string | undefined {
  const renames = new Map<string, string>();
  for (const match of sql.matchAll(TABLE_ALIAS)) {
    const [, , table, alias] = match as unknown as [string, string, string, string];
    if (!renames.has(alias))
      renames.set(alias, rng.pick([table, `${alias}${renames.size + 1}`, `${table.slice(0, 3)}`]));
  }
  const used = new Set(renames.values());
  if (renames.size === 0 || used.size !== renames.size) return undefined; // a clash would change meaning
  return mapCode(sql, (code) =>
    code
      .replace(TABLE_ALIAS, (whole, keyword: string, table: string, alias: string) =>
        whole.replace(
          new RegExp(`^${keyword}\\s+${table}\\s+(?:AS\\s+)?${alias}`, 'i'),
          `${keyword} ${table} ${renames.get(alias)}`,
        ),
      )
      .replace(/\b([a-z_]\w*)\./g, (whole, qualifier: string) =>
        renames.has(qualifier) ? `${renames.get(qualifier)}.` : whole,
      ),
  );
}

const lowerCaseKeywords: Rewrite = (sql) => mapCode(sql, (code) => code.toLowerCase());
const singleLine: Rewrite = (sql) => mapCode(sql, (code) => code.replace(/\s+/g, ' ')).trim();
const explicitTableAs: Rewrite = (sql) =>
  replaceAllInCode(
    sql,
    /\b(FROM|JOIN)\s+([a-z_]\w*)\s+(?!AS\b|ON\b|WHERE\b|GROUP\b|ORDER\b|JOIN\b|LEFT\b)([a-z]\w*)\b/g,
    '$1 $2 AS $3',
  );
const trailingSemicolon: Rewrite = (sql) => `${sql};`;

/** The reference SQL rewritten without changing its meaning: aliases, case, layout (1 to 3 rewrites). */
export function equivalentVariant(sql: string, rng: Rng): string {
  const wanted = rng.int(1, 3);
  let applied = 0;
  let result = sql;
  for (const rewrite of rng.shuffle([
    renameAliases,
    lowerCaseKeywords,
    singleLine,
    explicitTableAs,
    trailingSemicolon,
  ])) {
    const rewritten = rewrite(result, rng);
    if (rewritten === undefined || rewritten === result) continue;
    result = rewritten;
    if (++applied === wanted) break;
  }
  return result;
}

// ---- Subtle mistakes: valid SQL that answers a slightly different question.

const SUBTLE_MISTAKES: readonly Rewrite[] = [
  // The classic: measures swapped, so efficiency becomes planned over planned, scrap becomes defects.
  (sql) => replaceFirstInCode(sql, /\bactual_units\b/, 'planned_units'),
  // Every occurrence, so a derived table that sums scrap sums defects instead and stays valid.
  (sql) => replaceAllInCode(sql, /\bscrap_units\b/g, 'defects'),
  (sql) => replaceFirstInCode(sql, /\bdefects\b/, 'scrap_units'),
  // Wrong aggregate.
  (sql) => replaceFirstInCode(sql, /\bSUM\(/, 'AVG('),
  (sql) => replaceFirstInCode(sql, /\bAVG\(/, 'SUM('),
  // Ranking the wrong way round.
  (sql) => replaceFirstInCode(sql, /\bDESC\b/, 'ASC'),
  (sql) => replaceFirstInCode(sql, /\bASC\b/, 'DESC'),
  // Wrong period.
  (sql) => replaceLiteral(sql, /^'-28 days'$/, "'-1 month'"),
  (sql) => replaceLiteral(sql, /^'-(7|14|30) days'$/, "'-$1 months'"),
  // Filtering a city by the plant's name: valid, and silently empty.
  (sql) => replaceFirstInCode(sql, /\bp\.city\b/, 'p.name'),
  // Grouping by the key alone, dropping a dimension of the answer.
  (sql) => replaceFirstInCode(sql, /GROUP BY ([a-z_]+\.[a-z_]+), ([a-z_]+\.[a-z_]+)/i, 'GROUP BY $2'),
];

/** A plausible wrong answer that still runs; undefined when no mistake fits this SQL. */
export function subtleMistake(sql: string, rng: Rng): string | undefined {
  return firstApplicable(sql, rng, SUBTLE_MISTAKES);
}

// ---- Invalid SQL.

/** Column names a model invents in place of the real ones. */
const HALLUCINATED_COLUMNS: readonly [RegExp, string][] = [
  [/\bactual_units\b/g, 'units_produced'],
  [/\bplanned_units\b/g, 'target_units'],
  [/\bminutes\b/g, 'duration_minutes'],
  [/\bscrap_units\b/g, 'scrap_qty'],
  [/\brun_date\b/g, 'production_date'],
  [/\bdefects\b/g, 'defect_count'],
  [/\bfull_name\b/g, 'operator_name'],
  [/\bdr\.description\b/g, 'dr.reason_name'],
  [/\bl\.name\b/g, 'l.line_name'],
  [/\bchecked_at\b/g, 'inspection_date'],
  [/\bo\.role\b/g, 'o.job_title'],
];

/** The SQL with a column that does not exist: it parses, and fails when SQLite prepares it. */
export function unknownColumn(sql: string, rng: Rng): string | undefined {
  return firstApplicable(
    sql,
    rng,
    HALLUCINATED_COLUMNS.map(
      ([pattern, invented]) =>
        (text: string) =>
          replaceAllInCode(text, pattern, invented),
    ),
  );
}

const SYNTAX_ERRORS: readonly Rewrite[] = [
  (sql) => replaceFirstInCode(sql, /\bFROM\b/, 'FORM'),
  (sql) => replaceFirstInCode(sql, /\bSELECT\b/, 'SELET'),
  (sql) => replaceFirstInCode(sql, /\bGROUP BY\b/, 'GROUP'),
  (sql) => replaceFirstInCode(sql, /\bORDER BY\b/, 'ORDER'),
  // An unclosed parenthesis, as when the answer is cut short.
  (sql) => replaceFirstInCode(sql, /\)(?=[^)]*$)/, ''),
];

/** The SQL with a syntax error the parser rejects. */
export function syntaxError(sql: string, rng: Rng): string {
  return firstApplicable(sql, rng, SYNTAX_ERRORS) ?? `${sql} WHERE`;
}

/** The first table the query reads: the one a destructive misreading would target. */
function mainTable(sql: string): string {
  return /\bFROM\s+([a-z_]\w*)/i.exec(sql)?.[1] ?? 'production_runs';
}

/** A statement that is not read-only, as models produce when they misread intent or over-help. */
export function nonReadOnlyStatement(sql: string, rng: Rng): string {
  const table = mainTable(sql);
  const templates: readonly (() => string)[] = [
    () => `DELETE FROM ${table}\nWHERE rowid NOT IN (SELECT MIN(rowid) FROM ${table} GROUP BY run_id)`,
    () => 'UPDATE production_runs\nSET actual_units = planned_units\nWHERE actual_units > planned_units',
    () => `CREATE TEMP TABLE report AS\n${sql}`,
    () => `${sql};\nDROP TABLE IF EXISTS report_cache`,
    () => `${sql};\nINSERT INTO query_log (question_hash) VALUES (${rng.int(1000, 9999)})`,
  ];
  return rng.pick(templates)();
}
