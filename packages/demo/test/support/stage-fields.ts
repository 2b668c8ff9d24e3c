import { toStageAttributes, validateStageAttributes } from '@aitdr/conventions';
import type { AttributeProblem, Stage, StageFields } from '@aitdr/conventions';

/**
 * What the conventions find wrong with a stage's fields once turned into span attributes. Called
 * with a literal stage, `validateStageAttributes(stage, toStageAttributes(stage, fields))` does not
 * type-check: `StageAttributes` holds readonly arrays where `Attributes` wants mutable ones.
 */
export function stageProblems<S extends Stage>(stage: S, fields: StageFields<S>): AttributeProblem[] {
  return validateStageAttributes(stage, toStageAttributes(stage, fields));
}
