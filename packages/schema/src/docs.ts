import {
  ATTRIBUTE_FAMILIES,
  ATTR_LOG_BODY,
  ATTR_RECOGNITION_FAMILIES,
  ATTR_RECOGNITION_SPAN_IDS,
  ATTR_SQL_INTERACTION_ID,
  EVALUATION_FEEDBACK,
  RECOGNIZED_CALLS,
  STAGE_NAMES,
  STAGES,
  ATTR_STAGE,
} from '@aitdr/conventions';
import type { AttributeRename, AttributeSpec } from '@aitdr/conventions';
import { DDL_RULES } from './ddl/index.js';
import { AI_SCHEMA_VERSION, AI_USER_FEEDBACK, TABLES, tableForStage } from './tables.js';
import type { ColumnDef, ColumnSource, RecognitionField, TableDef } from './types.js';
import { TRAINING_EXAMPLES_VIEW } from './view.js';

const SPAN_KIND_NAMES = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function describeSource(source: ColumnSource): string {
  switch (source.kind) {
    case 'attribute':
      return `attribute ${code(source.key)}`;
    case 'resource':
      return `resource attribute ${code(source.key)}`;
    case 'span':
      return `span ${source.field}`;
    case 'link':
      return `first span link's ${source.field}`;
    case 'unmapped-attributes':
      return 'attributes without a column';
    case 'unmapped-resource-attributes':
      return 'resource attributes without a column';
    case 'events':
      return 'span events';
    case 'links':
      return 'span links';
    case 'other-spans':
      return 'spans of no known stage';
    case 'trace-status':
      return 'whether the root span has been stored';
    case 'insert-time':
      return 'database clock at insert';
    case 'recognition':
      return RECOGNITION_SOURCES[source.field];
  }
}

const RECOGNITION_SOURCES: Readonly<Record<RecognitionField, string>> = {
  sourceSpanId: 'the recognised library span (see "Spans of instrumentation libraries")',
  generatedSqlFrom: 'how the SQL was found in the response text',
  interactionInferred: 'whether the link was inferred',
};

function exampleText(example: AttributeSpec['example']): string {
  return Array.isArray(example) ? JSON.stringify(example) : String(example);
}

function columnFor(table: TableDef, key: string): ColumnDef | undefined {
  return table.columns.find((column) =>
    column.sources.some((source) => source.kind === 'attribute' && source.key === key),
  );
}

function typeText(column: ColumnDef): string {
  return [DDL_RULES.oracle, DDL_RULES.postgres, DDL_RULES.sqlite]
    .map((rules) => rules.columnType(column.type))
    .join(' / ');
}

function columnsSection(table: TableDef): string[] {
  const lines = [
    '| Column | Oracle / PostgreSQL / SQLite | Null | Filled from | Description |',
    '|---|---|---|---|---|',
  ];
  for (const column of table.columns) {
    const from =
      column.sources.length === 0 ? 'install script' : column.sources.map(describeSource).join(', else ');
    const key = table.primaryKey.includes(column.name) ? ' (key)' : '';
    lines.push(
      `| ${column.name}${key} | ${typeText(column)} | ${column.nullable ? 'yes' : 'no'} | ${cell(from)} | ${cell(column.description)} |`,
    );
  }
  return lines;
}

const PREAMBLE = `# Attribute conventions and table mapping

Generated from \`packages/conventions\` and \`packages/schema\` by \`pnpm generate\`; a test fails when
this file differs from what the code produces. Do not edit by hand.

## Rules

- **Stage identity.** Every span the recorder maps carries ${code(ATTR_STAGE)} naming its stage. The
  exporter maps spans by this attribute, never by span name, so spans opened with plain
  \`tracer.startActiveSpan(name, { attributes }, fn)\` and these constants map exactly like spans from the
  typed helpers.
- **Query ID.** The query span is the root of its trace; its trace ID (32 lower-case hex) is the query ID
  and the key of \`AI_TRAINING_QUERIES\`. Every stage row carries it as \`QUERY_ID\`.
- **Row IDs.** A stage row's own ID (\`CLASSIFICATION_ID\`, \`INTERACTION_ID\`, …) is the span ID of its
  span; its primary key is \`(QUERY_ID, <ID>)\`, which is also the index behind the \`QUERY_ID\` foreign key.
- **Feedback** is recorded later, possibly by another process, in a trace of its own. Its span carries the
  query ID in ${code('text_to_sql.feedback.query_id')} and links to the query's root span
  (trace ID = query ID); its own trace ID is kept in \`FEEDBACK_TRACE_ID\`.
- **Semantic conventions first.** Keys from OpenTelemetry semantic conventions (\`gen_ai.*\`, \`db.*\`,
  \`error.type\`, \`session.id\`, \`user.*\`) are used wherever one exists; everything else lives in the one
  project namespace \`text_to_sql.\`.
- **Value conversion.** \`string[]\` values are stored as JSON arrays; \`json\` attributes are strings holding
  JSON text; booleans are \`0\`/\`1\` on Oracle and SQLite. Times keep microseconds: \`TIMESTAMP(6) WITH TIME
  ZONE\` on Oracle and PostgreSQL, ISO-8601 UTC text with six decimals on SQLite.
- **NaN and ±Infinity.** A double that is NaN, Infinity or -Infinity (in the SDK, or over OTLP protobuf or
  OTLP JSON alike) is kept as the string \`"NaN"\`, \`"Infinity"\` or \`"-Infinity"\` (the protobuf JSON
  mapping's form), on every store, also inside arrays (\`[0.5, "NaN"]\`). No typed column holds one: a
  \`DOUBLE\`/\`NUMBER\` column whose attribute has such a value is NULL, and the attribute stays in
  \`ATTRIBUTES\` with its value named.
- **Closed sets.** An attribute whose values are listed as closed (below: "One of") keeps a value
  outside its set in \`ATTRIBUTES\`, its column NULL, on every store; the exporter counts such values
  (\`status().counters.outsideClosedSets\`).
- **Nothing is lost.** Attributes without a column go to the row's \`ATTRIBUTES\` JSON object; events and
  links to \`EVENTS\` and \`LINKS\`; resource attributes other than \`service.name\`/\`service.version\` to the
  query's \`RESOURCE_ATTRIBUTES\`; spans that name no known stage to the query's \`OTHER_SPANS\` (for a
  feedback trace, to the \`OTHER_SPANS\` of the query it is about). A trace with no stage span at all,
  whose query is not stored, is not the recorder's data (a health check, another service's request):
  it is counted as ignored in the exporter's status, not stored.
- **Incomplete traces.** When stage spans arrive before (or without) their root, the query row is created
  with \`TRACE_STATUS = 'INCOMPLETE'\` so the stage rows are kept and their foreign keys hold; it becomes
  \`COMPLETE\` when the root span is stored.
`;

/** Where a rename reads its value, in words. */
function renameSource(rename: AttributeRename): string {
  const { source, transform } = rename;
  switch (transform.kind) {
    case 'copy':
      return code(source);
    case 'map':
      return `${code(source)} (${Object.entries(transform.values)
        .map(([from, to]) => `${code(from)} → ${code(String(to))}`)
        .join(', ')})`;
    case 'json-field':
      return `${code(source)} JSON, field ${transform.fields.map(code).join(' or ')}`;
    case 'indexed-messages':
      return [transform.role, transform.content, ...(transform.finishReason ? [transform.finishReason] : [])]
        .map((field) => code(`${source}.<n>.${field}`))
        .join(', ');
    case 'body-messages':
      return `${code(source)} (an OpenAI chat ${transform.direction === 'input' ? 'request' : 'response'} body, or plain text)`;
    case 'event-messages':
      return `events ${transform.events.map(code).join(', ')} (body in ${code(ATTR_LOG_BODY)} or the event's attributes)`;
    case 'event-attribute':
      return `event ${code(source)}, attribute ${code(transform.attribute)}`;
    case 'output-finish-reasons':
      return `${code('finish_reason')} of each message in ${code(source)}`;
    case 'one-item-list':
      return `${code(source)} (one value, as a list of one)`;
    case 'system-instructions':
      return `${code(source)} (on the span or event ${code(transform.event)}), put first as a system message`;
  }
}

const RECOGNITION_RULES = `Spans an instrumentation library makes (OpenLLMetry, OpenInference, the OpenTelemetry contrib
instrumentations for OpenAI, \`pg\` or \`oracledb\`) carry no ${code(ATTR_STAGE)}. Inside a query trace (one with a query
or stage span), such a span that is recognisably a call of a stage is read with the families below, and:

- **Under a stage span of its kind** (a \`pg\` query inside an \`execution\` span, an OpenAI call inside a
  \`model_interaction\` span) it fills that stage row's empty columns: never a second row for one call, and
  what the application set explicitly wins. When several do (a retry, the same call instrumented twice), the
  latest-ending one fills first.
- **With no stage span above it but the query span (or the trace's root)** it is a row of its own, keyed by its
  span ID.
- **Under a stage span of another kind** (a schema lookup under \`schema_context\`, an LLM classifier under
  \`classification\`) or **below a parent not (yet) in the trace** it stays in the query's \`OTHER_SPANS\`.
- A span that went into a row leaves \`OTHER_SPANS\`; its attributes no column took and its events join the
  row's \`ATTRIBUTES\` and \`EVENTS\` (a library value the application's overruled is kept there under the
  conventions' key). \`SOURCE_SPAN_ID\` names the span (the first of several); the row's \`ATTRIBUTES\` list
  them all in ${code(ATTR_RECOGNITION_SPAN_IDS)} and the families read in ${code(ATTR_RECOGNITION_FAMILIES)}.
- **Generated SQL.** A model interaction without \`GENERATED_SQL\` takes it from its response text: the first
  fenced code block tagged \`sql\`, else the whole text when it reads as one statement (a heuristic, not a
  parser: it starts with SELECT, WITH, INSERT, UPDATE, DELETE, MERGE or VALUES and has, outside quotes and
  comments, no second \`;\`, balanced parentheses and no line ending like a sentence). \`GENERATED_SQL_FROM\`
  says which: \`fenced_sql_block\` or \`whole_response\`.
- **Inferred links.** An execution naming no model interaction (${code(ATTR_SQL_INTERACTION_ID)}) is linked to
  the trace's selected interaction (the latest selection), else to its only one; \`INTERACTION_INFERRED\` is
  true then.
- A trace part holding library spans but no query or stage span (the rest of a split trace) keeps them in
  \`OTHER_SPANS\` as before; a stage row already written is not filled later.
`;

function recognitionSection(): string[] {
  const out = ['', '## Spans of instrumentation libraries', '', RECOGNITION_RULES];
  out.push('| Recognised as | Table | When |', '|---|---|---|');
  for (const call of RECOGNIZED_CALLS) {
    out.push(`| ${code(call.stage)} | ${tableForStage(call.stage).name} | ${cell(call.description)} |`);
  }
  out.push(
    '',
    'For each column the first family (in this order) whose source gives a value wins; an attribute a rename',
    'read leaves ATTRIBUTES, every other one stays there under its own name.',
  );
  for (const family of ATTRIBUTE_FAMILIES) {
    const table = tableForStage(family.stage);
    out.push('', `### ${family.title} (\`${family.id}\`)`, '', family.description, '');
    out.push('| Source | Becomes | Column |', '|---|---|---|');
    for (const rename of family.renames) {
      out.push(
        `| ${cell(renameSource(rename))} | ${code(rename.target)} | ${columnFor(table, rename.target)?.name ?? 'ATTRIBUTES'} |`,
      );
    }
  }
  out.push('', `### Evaluation results → ${AI_USER_FEEDBACK.name}`, '', EVALUATION_FEEDBACK.description, '');
  out.push('| Source | Becomes | Column |', '|---|---|---|');
  for (const rename of EVALUATION_FEEDBACK.renames) {
    out.push(
      `| ${cell(renameSource(rename))} | ${code(rename.target)} | ${columnFor(AI_USER_FEEDBACK, rename.target)?.name ?? 'ATTRIBUTES'} |`,
    );
  }
  out.push(
    '',
    "Each row is keyed by an ID derived from the span carrying the event and the event's place on it (the same on",
    "a replay); its parent is that span, its time the event's, its QUERY_ID the trace's.",
  );
  return out;
}

/** The content of `docs/conventions.md`. */
export function renderConventionsDoc(): string {
  const out: string[] = [PREAMBLE, '## Stages', ''];
  out.push('| Stage (`text_to_sql.stage`) | Span name | Span kind | Table |', '|---|---|---|---|');
  for (const stage of STAGE_NAMES) {
    const definition = STAGES[stage];
    const name =
      stage === 'model_interaction'
        ? `${code('{gen_ai.operation.name} {gen_ai.request.model}')}, else ${code(definition.spanName)}`
        : code(definition.spanName);
    out.push(
      `| ${code(stage)} | ${name} | ${SPAN_KIND_NAMES[definition.spanKind] ?? ''} | ${tableForStage(stage).name} |`,
    );
  }
  for (const stage of STAGE_NAMES) {
    const definition = STAGES[stage];
    const table = tableForStage(stage);
    out.push('', `## ${code(stage)} → ${table.name}`, '', definition.description, '');
    out.push(
      '| Attribute | Type | Required | Column | Helper field | Example | Description |',
      '|---|---|---|---|---|---|---|',
    );
    out.push(
      `| ${code(ATTR_STAGE)} | string | yes | (identifies the table) | (set by helpers) | ${code(stage)} | Stage of the span. |`,
    );
    for (const [field, spec] of Object.entries(
      definition.fields as Readonly<Record<string, AttributeSpec>>,
    )) {
      const column = columnFor(table, spec.key);
      const values = spec.values
        ? ` ${spec.closed ? 'One of' : 'For example'}: ${spec.values.map(code).join(', ')}.`
        : '';
      out.push(
        `| ${code(spec.key)} | ${spec.type} | ${spec.required ? 'yes' : 'no'} | ${column ? column.name : 'ATTRIBUTES'} | ${code(field)} | ${cell(code(exampleText(spec.example)))} | ${cell(spec.description + values)} |`,
      );
    }
    out.push('', `Columns of ${table.name}: ${cell(table.description)}`, '', ...columnsSection(table));
  }
  out.push(...recognitionSection());
  out.push(
    '',
    `## ${AI_SCHEMA_VERSION.name}`,
    '',
    AI_SCHEMA_VERSION.description,
    '',
    ...columnsSection(AI_SCHEMA_VERSION),
  );
  out.push(
    '',
    `## ${TRAINING_EXAMPLES_VIEW}`,
    '',
    'A view with one row per query: the question, its latest classification and schema context, the selected',
    'model interaction, the latest SQL processing and execution, the model interaction whose SQL that execution',
    'ran (`ANSWER_SOURCE`, `ANSWER_MODEL`, `ANSWER_SQL`: after a fallback it is not the selected one), and the',
    'latest feedback. It is what a fine-tuning export reads. Its SQL is in `packages/schema/src/view.ts` and in',
    'each `sql/<dialect>/install.sql`.',
    '',
    `Tables, parents first: ${TABLES.map((table) => table.name).join(', ')}.`,
    '',
  );
  return out.join('\n');
}
