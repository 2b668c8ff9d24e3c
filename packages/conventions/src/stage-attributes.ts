import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { AttributeSpec } from './attribute-spec.js';
import { ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_REQUEST_MODEL, ATTR_STAGE } from './attributes.js';
import { STAGE_NAMES, STAGES } from './stages.js';
import type { Stage, StageAttributes, StageFields } from './stages.js';

const stageNames: ReadonlySet<string> = new Set(STAGE_NAMES);

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && stageNames.has(value);
}

/** Each stage name to its own constant, so callers comparing stages see one kind of string. */
const canonicalStages: ReadonlyMap<string, Stage> = new Map(STAGE_NAMES.map((stage) => [stage, stage]));

/**
 * The stage a span records, read from its `text_to_sql.stage` attribute; undefined when none.
 * Returns the stage's constant, not the attribute's own string (a decoded or sliced string would
 * deoptimise the mapper's `stage === 'query'` comparisons once they were optimised for constants).
 */
export function stageOf(attributes: Readonly<Attributes>): Stage | undefined {
  const value = attributes[ATTR_STAGE];
  return typeof value === 'string' ? canonicalStages.get(value) : undefined;
}

/** Helper fields and attribute keys of each stage, in definition order: read on every recorded stage. */
interface FieldKeys {
  readonly fields: readonly string[];
  /** `keys[i]` is the attribute of `fields[i]`. */
  readonly keys: readonly string[];
}

const FIELD_KEYS = Object.fromEntries(
  STAGE_NAMES.map((stage) => {
    const entries = Object.entries(STAGES[stage].fields as Readonly<Record<string, AttributeSpec>>);
    return [stage, { fields: entries.map(([field]) => field), keys: entries.map(([, spec]) => spec.key) }];
  }),
) as unknown as Record<Stage, FieldKeys>;

/**
 * Writes a stage's camelCase fields as attributes into `target` (without the stage attribute).
 * Undefined fields are left out; unknown field names are ignored. On the request path of every
 * recorded stage, so it allocates nothing and walks the stage's short field list (two parallel
 * arrays: no pair destructured per field) rather than enumerating the caller's object.
 */
export function assignStageFields<S extends Stage>(
  stage: S,
  fields: Partial<StageFields<S>>,
  target: Attributes,
): Attributes {
  const values = fields as Record<string, AttributeValue | undefined>;
  const { fields: names, keys } = FIELD_KEYS[stage];
  for (let i = 0; i < names.length; i++) {
    const value = values[names[i]!];
    if (value !== undefined && value !== null) target[keys[i]!] = value;
  }
  return target;
}

/**
 * Turns a stage's camelCase fields into span attributes, adding the stage attribute.
 * Undefined fields are left out; unknown field names are ignored.
 */
export function toStageAttributes<S extends Stage>(stage: S, fields: StageFields<S>): StageAttributes<S> {
  return assignStageFields(stage, fields, { [ATTR_STAGE]: stage }) as StageAttributes<S>;
}

/**
 * Span name for a stage. Model interactions follow the GenAI convention
 * `{gen_ai.operation.name} {gen_ai.request.model}`; other stages use their constant name.
 */
export function stageSpanName(stage: Stage, attributes: Readonly<Attributes> = {}): string {
  if (stage === 'model_interaction') {
    const operation = attributes[ATTR_GEN_AI_OPERATION_NAME];
    const model = attributes[ATTR_GEN_AI_REQUEST_MODEL];
    if (typeof operation === 'string' && typeof model === 'string') return `${operation} ${model}`;
  }
  return STAGES[stage].spanName;
}

export interface AttributeProblem {
  readonly key: string;
  readonly problem: 'missing' | 'wrong_type' | 'unknown_value';
  readonly message: string;
}

/** Checks one value against its spec. */
function valueMatches(spec: AttributeSpec, value: AttributeValue): boolean {
  switch (spec.type) {
    case 'string':
    case 'json':
      return typeof value === 'string';
    case 'int':
      return typeof value === 'number' && Number.isInteger(value);
    case 'double':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
  }
}

/**
 * Lists what is wrong with a stage span's attributes: required ones missing, values of the wrong
 * type, values outside a closed set. Attributes the stage does not know are not problems: they are
 * kept in the ATTRIBUTES column.
 */
export function validateStageAttributes(stage: Stage, attributes: Readonly<Attributes>): AttributeProblem[] {
  const problems: AttributeProblem[] = [];
  for (const spec of Object.values(STAGES[stage].fields) as AttributeSpec[]) {
    const value = attributes[spec.key];
    if (value === undefined || value === null) {
      if (spec.required) {
        problems.push({
          key: spec.key,
          problem: 'missing',
          message: `${stage}: required ${spec.key} is missing`,
        });
      }
      continue;
    }
    if (!valueMatches(spec, value)) {
      problems.push({
        key: spec.key,
        problem: 'wrong_type',
        message: `${stage}: ${spec.key} must be ${spec.type}, got ${JSON.stringify(value)}`,
      });
    } else if (spec.closed === true && spec.values !== undefined && !spec.values.includes(value as string)) {
      problems.push({
        key: spec.key,
        problem: 'unknown_value',
        message: `${stage}: ${spec.key} must be one of ${spec.values.join(', ')}, got ${JSON.stringify(value)}`,
      });
    }
  }
  return problems;
}

/** One row of the attribute registry: an attribute as used by one stage. */
export interface StageAttributeEntry {
  readonly stage: Stage;
  readonly field: string;
  readonly spec: AttributeSpec;
}

/** Every (stage, attribute) pair, in stage order: what `docs/conventions.md` lists. */
export const STAGE_ATTRIBUTE_REGISTRY: readonly StageAttributeEntry[] = STAGE_NAMES.flatMap((stage) =>
  Object.entries(STAGES[stage].fields as Readonly<Record<string, AttributeSpec>>).map(([field, spec]) => ({
    stage,
    field,
    spec,
  })),
);
