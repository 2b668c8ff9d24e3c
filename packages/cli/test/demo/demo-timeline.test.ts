import { describe, expect, it } from 'vitest';
import { classifyQuestion, closestQuestion, createRng } from '@aitdr/demo';
import { planRequests } from '../../src/demo/demo-timeline.js';

const NOW = Date.UTC(2026, 10, 25, 8, 30); // a Wednesday morning
const DAY = 24 * 3_600_000;

describe('planRequests', () => {
  const requests = planRequests(500, createRng(42), { nowMs: NOW, days: 14 });

  it('spreads the questions over the working hours of the days before today, in arrival order', () => {
    expect(requests).toHaveLength(500);
    expect(requests.map((r) => r.index)).toEqual([...Array(500).keys()]);
    const times = requests.map((r) => r.arrivalMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const today = Math.floor(NOW / DAY) * DAY;
    expect(Math.min(...times)).toBeGreaterThanOrEqual(today - 14 * DAY);
    // Before midnight: the answers and the feedback (at most three hours later) lie in the past.
    expect(Math.max(...times)).toBeLessThan(today - 5 * 3_600_000);
    for (const time of times) expect(new Date(time).getUTCHours()).toBeGreaterThanOrEqual(7);
    const weekend = requests.filter((r) => [0, 6].includes(new Date(r.arrivalMs).getUTCDay())).length;
    expect(weekend).toBeLessThan(500 / 7);
  });

  it('keeps one session per user and day, and phrases questions so the stand-ins still know them', () => {
    const sessions = new Map<string, string>();
    for (const request of requests) {
      const key = `${request.username}/${new Date(request.arrivalMs).toISOString().slice(0, 10)}`;
      expect(sessions.get(key) ?? request.sessionId).toBe(request.sessionId);
      sessions.set(key, request.sessionId);
      expect(closestQuestion(request.text).id).toBe(request.question.id);
      expect(classifyQuestion(request.text).category).toBe(request.question.category);
    }
    expect(new Set(requests.map((r) => r.username)).size).toBeGreaterThan(5);
    expect(requests.filter((r) => r.text !== r.question.text).length).toBeGreaterThan(50);
  });

  it('plans the same run for the same seed', () => {
    expect(planRequests(500, createRng(42), { nowMs: NOW, days: 14 })).toEqual(requests);
    expect(planRequests(500, createRng(43), { nowMs: NOW, days: 14 })).not.toEqual(requests);
  });
});
