import type { ModelInteractionFields, ModelSource } from '@aitdr/conventions';
import { DEMO_QUESTIONS, findQuestion, normalizeQuestion } from '../questions.js';
import type { Complexity, DemoQuestion } from '../questions.js';
import type { Rng } from '../random.js';
import { estimateTokens } from '../tokens.js';
import { inputMessagesJson, outputMessagesJson, systemPrompt } from './prompt.js';
import { ModelProviderError, ModelTimeoutError } from './sql-model.js';
import type { GenerationRequest, GenerationResponse, SqlModel } from './sql-model.js';
import {
  equivalentVariant,
  nonReadOnlyStatement,
  subtleMistake,
  syntaxError,
  unknownColumn,
} from './sql-variations.js';

/**
 * STAND-INS, NOT MODELS. The demo has no model to call, so these two classes play the hosted
 * "API model" and the "local model": they look the question up among the demo questions and
 * answer with its reference SQL, an equivalent rewrite, or one of the ways real models go wrong,
 * at rates set per model. Everything they report (provider, model names, tokens, latency) says
 * they are stand-ins.
 */

/** What a stand-in chose to do for one call. */
export const STAND_IN_BEHAVIOURS = [
  'reference',
  'variant',
  'subtle_error',
  'unknown_column',
  'syntax_error',
  'non_read_only',
  'timeout',
  'provider_error',
] as const;
export type StandInBehaviour = (typeof STAND_IN_BEHAVIOURS)[number];

/** Behaviours that come from the model getting the SQL wrong, made likelier by harder questions. */
const MISTAKES: ReadonlySet<StandInBehaviour> = new Set(['subtle_error', 'unknown_column', 'syntax_error']);
const COMPLEXITY_MISTAKE_FACTOR: Readonly<Record<Complexity, number>> = {
  simple: 0.5,
  moderate: 1,
  complex: 1.8,
};

export interface StandInProfile {
  readonly source: ModelSource;
  readonly provider: string;
  readonly requestModel: string;
  readonly responseModel: string;
  readonly responseIdPrefix: string;
  readonly temperature: number;
  readonly maxTokens: number;
  /** Relative weight of each behaviour; they need not sum to 100. */
  readonly behaviourWeights: Readonly<Record<StandInBehaviour, number>>;
  /** Latency = (base + per input token + per output token) × log-normal jitter, then clamped. */
  readonly latency: {
    readonly baseMs: number;
    readonly perInputTokenMs: number;
    readonly perOutputTokenMs: number;
    readonly minMs: number;
    readonly maxMs: number;
  };
  readonly timeoutMs: number;
  /** Whether replies wrap the SQL in a sentence of prose (smaller models often do). */
  readonly chatty: boolean;
}

export const API_MODEL_STAND_IN_PROFILE: StandInProfile = {
  source: 'api',
  provider: 'stand-in-api',
  requestModel: 'api-model-stand-in',
  responseModel: 'api-model-stand-in-2026-01',
  responseIdPrefix: 'chatcmpl-standin-',
  temperature: 0.1,
  maxTokens: 512,
  behaviourWeights: {
    reference: 52,
    variant: 28,
    subtle_error: 7,
    unknown_column: 3,
    syntax_error: 1.5,
    non_read_only: 1,
    timeout: 3,
    provider_error: 3.5,
  },
  latency: { baseMs: 450, perInputTokenMs: 0.3, perOutputTokenMs: 9, minMs: 600, maxMs: 2500 },
  timeoutMs: 10_000,
  chatty: false,
};

export const LOCAL_MODEL_STAND_IN_PROFILE: StandInProfile = {
  source: 'local',
  provider: 'stand-in-local',
  requestModel: 'local-model-stand-in',
  responseModel: 'local-model-stand-in-q4',
  responseIdPrefix: 'local-standin-',
  temperature: 0.2,
  maxTokens: 512,
  behaviourWeights: {
    reference: 36,
    variant: 24,
    subtle_error: 16,
    unknown_column: 8,
    syntax_error: 5,
    non_read_only: 3,
    timeout: 3,
    provider_error: 5,
  },
  latency: { baseMs: 120, perInputTokenMs: 0.2, perOutputTokenMs: 3.5, minMs: 150, maxMs: 900 },
  timeoutMs: 5_000,
  chatty: true,
};

/** Tables a query reads (FROM/JOIN targets, CTE names excluded). */
function tablesRead(sql: string): string[] {
  const cteNames = new Set([...sql.matchAll(/\b(\w+)\s+AS\s+\(/gi)].map((m) => m[1]!.toLowerCase()));
  const tables = [...sql.matchAll(/\b(?:FROM|JOIN)\s+([a-z_]\w*)/gi)].map((m) => m[1]!.toLowerCase());
  return [...new Set(tables)].filter((t) => !cteNames.has(t));
}

/** The demo question a stand-in "knows" that is closest to the asked one (word overlap). */
export function closestQuestion(question: string): DemoQuestion {
  const exact = findQuestion(question);
  if (exact) return exact;
  const asked = new Set(normalizeQuestion(question).split(' '));
  let best = DEMO_QUESTIONS[0]!;
  let bestScore = -1;
  for (const candidate of DEMO_QUESTIONS) {
    const words = new Set(normalizeQuestion(candidate.text).split(' '));
    const shared = [...words].filter((w) => asked.has(w)).length;
    const score = shared / (words.size + asked.size - shared);
    if (score > bestScore) [best, bestScore] = [candidate, score];
  }
  return best;
}

export interface StandInResponse extends GenerationResponse {
  /** What the stand-in chose to do: shown in demo output, checked by tests. */
  readonly behaviour: StandInBehaviour;
}

/** A model stand-in driven by a profile; see the note at the top of this file. */
export class ModelStandIn implements SqlModel {
  readonly profile: StandInProfile;

  constructor(profile: StandInProfile) {
    this.profile = profile;
  }

  get source(): ModelSource {
    return this.profile.source;
  }

  get provider(): string {
    return this.profile.provider;
  }

  get requestModel(): string {
    return this.profile.requestModel;
  }

  /** Always settles without waiting; the reported latency is simulated. */
  generate(request: GenerationRequest, rng: Rng): Promise<StandInResponse> {
    try {
      return Promise.resolve(this.answer(request, rng));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private answer(request: GenerationRequest, rng: Rng): StandInResponse {
    const { profile } = this;
    const inputMessages = inputMessagesJson(request.schemaContext, request.question);
    // Chat formats spend a few tokens per message on roles and separators.
    const inputTokens =
      estimateTokens(systemPrompt(request.schemaContext)) + estimateTokens(request.question) + 8;
    const base: ModelInteractionFields = {
      source: profile.source,
      operationName: 'chat',
      provider: profile.provider,
      requestModel: profile.requestModel,
      temperature: profile.temperature,
      maxTokens: profile.maxTokens,
      inputMessages,
      inputTokens,
    };

    const known = closestQuestion(request.question);
    const chosen = this.chooseBehaviour(known, request.schemaTables, rng);
    if (chosen === 'timeout') throw new ModelTimeoutError(base, profile.timeoutMs);
    if (chosen === 'provider_error') {
      const rateLimited = rng.chance(0.6);
      const latency = Math.round(rng.float(40, 350));
      throw rateLimited
        ? new ModelProviderError(base, 429, 'rate limit exceeded, retry after 2 s', latency)
        : new ModelProviderError(base, 503, 'model overloaded', latency);
    }

    const { sql, behaviour } = this.sqlFor(chosen, known.referenceSql, rng);
    const content =
      profile.chatty && rng.chance(0.5)
        ? `Here is the query:\n\`\`\`sql\n${sql}\n\`\`\``
        : `\`\`\`sql\n${sql}\n\`\`\``;
    const outputTokens = estimateTokens(content);
    const { latency } = profile;
    const rawLatency =
      (latency.baseMs + latency.perInputTokenMs * inputTokens + latency.perOutputTokenMs * outputTokens) *
      Math.exp(rng.normal(0, 0.25));
    const latencyMs = Math.round(Math.min(latency.maxMs, Math.max(latency.minMs, rawLatency)) * 10) / 10;
    return {
      behaviour,
      sql,
      latencyMs,
      fields: {
        ...base,
        responseModel: profile.responseModel,
        responseId: `${profile.responseIdPrefix}${rng.hex(24)}`,
        outputMessages: outputMessagesJson(content, 'stop'),
        generatedSql: sql,
        outputTokens,
        finishReasons: ['stop'],
        latencyMs,
      },
    };
  }

  private chooseBehaviour(known: DemoQuestion, schemaTables: readonly string[], rng: Rng): StandInBehaviour {
    const factor = COMPLEXITY_MISTAKE_FACTOR[known.complexity];
    // A context missing a table the answer needs invites invented columns.
    const contextMissesTable = tablesRead(known.referenceSql).some((table) => !schemaTables.includes(table));
    const weights = Object.fromEntries(
      STAND_IN_BEHAVIOURS.map((behaviour) => {
        let weight = this.profile.behaviourWeights[behaviour];
        if (MISTAKES.has(behaviour)) weight *= factor;
        if (behaviour === 'unknown_column' && contextMissesTable) weight *= 4;
        return [behaviour, weight];
      }),
    ) as Record<StandInBehaviour, number>;
    return rng.weighted(weights);
  }

  /** The SQL for a behaviour, and the behaviour it really is when a mistake does not fit the SQL. */
  private sqlFor(
    behaviour: StandInBehaviour,
    reference: string,
    rng: Rng,
  ): { sql: string; behaviour: StandInBehaviour } {
    switch (behaviour) {
      case 'variant':
        return { sql: equivalentVariant(reference, rng), behaviour };
      case 'subtle_error': {
        const sql = subtleMistake(reference, rng);
        return sql === undefined ? { sql: reference, behaviour: 'reference' } : { sql, behaviour };
      }
      case 'unknown_column': {
        const sql = unknownColumn(reference, rng);
        return sql === undefined
          ? { sql: syntaxError(reference, rng), behaviour: 'syntax_error' }
          : { sql, behaviour };
      }
      case 'syntax_error':
        return { sql: syntaxError(reference, rng), behaviour };
      case 'non_read_only':
        return { sql: nonReadOnlyStatement(reference, rng), behaviour };
      default:
        return { sql: reference, behaviour: 'reference' };
    }
  }
}

/** Stand-in for the hosted API model: slower, more often right. */
export class ApiModelStandIn extends ModelStandIn {
  constructor(profile: Partial<StandInProfile> = {}) {
    super({ ...API_MODEL_STAND_IN_PROFILE, ...profile, source: 'api' });
  }
}

/** Stand-in for the local model: faster, wrong more often. What the recorded data should improve. */
export class LocalModelStandIn extends ModelStandIn {
  constructor(profile: Partial<StandInProfile> = {}) {
    super({ ...LOCAL_MODEL_STAND_IN_PROFILE, ...profile, source: 'local' });
  }
}
