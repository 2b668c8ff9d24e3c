/**
 * Who asks what, when: the demo's questions spread over past working days, asked by a handful of
 * users in sessions, in the words people use. Everything is drawn from the seeded generator, so a
 * seed gives the same questions, users and order (the times are relative to the run's end time).
 */
import { DEMO_QUESTIONS } from '@aitdr/demo';
import type { DemoQuestion, Rng } from '@aitdr/demo';

export interface DemoRequest {
  /** Position in the run, from 0. */
  readonly index: number;
  readonly question: DemoQuestion;
  /** The question as the user typed it. */
  readonly text: string;
  readonly arrivalMs: number;
  readonly username: string;
  readonly sessionId: string;
}

export interface TimelineOptions {
  /** The run's start (epoch ms): the questions are asked on the days before it. */
  readonly nowMs: number;
  /** Days of history the questions spread over. */
  readonly days: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The demo's users, by how often they ask. */
const USERS = {
  jsmith: 5,
  mgarcia: 4,
  akumar: 3,
  lchen: 3,
  tnguyen: 2,
  omuller: 2,
  pdubois: 1,
  rossi: 1,
} as const;

/** How people open a question; the stand-ins and the classifier see through these. */
const OPENINGS = {
  '': 12,
  'Quick question: ': 2,
  'For the morning meeting: ': 2,
  'Hi! ': 1,
  'One more: ': 1,
} as const;

/** Weekends are quiet in a plant's offices. */
const WEEKDAY_WEIGHT = [0.2, 1, 1, 1, 1, 1, 0.25];

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * `count` requests in arrival order, on the `days` days before the day of `nowMs`, during working
 * hours (UTC): every answer and its feedback (at most three hours later) lie in the past.
 */
export function planRequests(count: number, rng: Rng, options: TimelineOptions): DemoRequest[] {
  const today = Math.floor(options.nowMs / DAY_MS) * DAY_MS;
  const days = Array.from({ length: options.days }, (_, i) => today - (options.days - i) * DAY_MS);
  const dayWeights = Object.fromEntries(
    days.map((day, i) => [String(i), WEEKDAY_WEIGHT[new Date(day).getUTCDay()]!]),
  );
  const sessions = new Map<string, string>();
  const drawn = Array.from({ length: count }, (_, i) => {
    const draw = rng.fork(`request/${i}`);
    const day = days[Number(draw.weighted(dayWeights))]!;
    // Working hours 07:00 to 19:00, busiest mid-morning and mid-afternoon.
    const hour = Math.min(18.99, Math.max(7, draw.pick([10, 15]) + draw.normal(0, 2)));
    const arrivalMs = day + Math.round(hour * 3_600_000);
    const username = draw.weighted(USERS);
    const sessionKey = `${username}/${day}`;
    let sessionId = sessions.get(sessionKey);
    if (sessionId === undefined) {
      sessionId = `sess-${rng.fork(`session/${sessionKey}`).hex(12)}`;
      sessions.set(sessionKey, sessionId);
    }
    const question = draw.pick(DEMO_QUESTIONS);
    const opening = draw.weighted(OPENINGS);
    const text = opening === '' ? question.text : `${opening}${lowerFirst(question.text)}`;
    return { question, text, arrivalMs, username, sessionId };
  });
  return drawn
    .map((request, i) => ({ request, i }))
    .sort((a, b) => a.request.arrivalMs - b.request.arrivalMs || a.i - b.i)
    .map(({ request }, index) => ({ ...request, index }));
}
