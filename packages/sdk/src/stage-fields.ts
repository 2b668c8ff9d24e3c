/**
 * The request path's copy of a stage's fields into span attributes: `assignStageFields` of the
 * conventions, compiled once per stage. The generic loop writes every attribute by a computed
 * key, a megamorphic store (all stages' keys at one site) at every recorded stage; compiled, each
 * attribute has a store of its own that sees only its stage's few shapes. The stage's
 * instructions per query fell 8% (callgrind, helpers + processor with a no-op exporter). Same
 * result, same attribute order (the stage's definition order), same rules: undefined and null
 * fields are left out, unknown field names are ignored. A plain object's fields are its enumerable
 * properties; any other object's are property reads (getters and prototypes included).
 */
import type { Attributes } from '@opentelemetry/api';
import { STAGE_NAMES, STAGES, assignStageFields, generatedOr } from '@aitdr/conventions';
import type { AttributeSpec, Stage, StageFields } from '@aitdr/conventions';

type FieldWriter = (fields: object, target: Attributes) => Attributes;

/** Writes a stage's camelCase fields as attributes into `target`; returns `target`. */
export function writeStageFields<S extends Stage>(
  stage: S,
  fields: Partial<StageFields<S>>,
  target: Attributes,
): Attributes {
  return WRITERS[stage](fields, target);
}

/**
 * The stage's writer. A plain object's fields (prototype Object.prototype or null: what apps pass)
 * are found by enumerating it, so a field it lacks is never read: an app's `{ ...fields, key }`
 * gets a map of its own at every call (V8), and reading a missing property of a new map misses
 * into the runtime each time (about a dozen such misses per query of the benchmark). Any other
 * object (a class instance, a getter on a prototype) is read field by field, as property reads.
 * Either way the attributes are written in the stage's definition order; each field is read once.
 * Fields stay read by computed key (`fields[names[i]]`) there: such a site sees every caller's
 * shapes, and V8 looks a computed key up in compiled code where a literal name, once megamorphic,
 * misses into the runtime. Keys are the stage definitions' own, quoted as JSON.
 */
function compileWriter(stage: Stage): FieldWriter {
  const specs = Object.entries(STAGES[stage].fields as Readonly<Record<string, AttributeSpec>>);
  const values = specs.map((_, index) => `v${index}`);
  const cases = specs
    .map(([field], index) => `case ${JSON.stringify(field)}: v${index} = fields[name]; break;`)
    .join('\n');
  const reads = specs.map((_, index) => `v${index} = fields[names[${index}]];`).join('\n');
  const writes = specs
    .map(
      ([, spec], index) =>
        `if (v${index} !== undefined && v${index} !== null) target[${JSON.stringify(spec.key)}] = v${index};`,
    )
    .join('\n');
  return generatedOr<FieldWriter>(
    // Code generation disallowed: the generic loop.
    (fields, target) => assignStageFields(stage, fields, target),
    `const [names, objectPrototype] = argument;
return (fields, target) => {
let ${values.join(', ')};
const prototype = Object.getPrototypeOf(fields);
if (prototype === objectPrototype || prototype === null) {
for (const name in fields) {
switch (name) {
${cases}
}
}
} else {
${reads}
}
${writes}
return target;
};`,
    'argument',
    [specs.map(([field]) => field), Object.prototype],
  );
}

const WRITERS = Object.fromEntries(STAGE_NAMES.map((stage) => [stage, compileWriter(stage)])) as Record<
  Stage,
  FieldWriter
>;
