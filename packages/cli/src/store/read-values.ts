/** Reading values the same way from every store (the table reader gives 0/1 or booleans, numbers, text). */
import type { ReadValue } from '@aitdr/exporter';

/** A boolean column: PostgreSQL gives booleans, SQLite and Oracle 0/1; undefined for NULL. */
export function asBoolean(value: ReadValue | undefined): boolean | undefined {
  if (value === null || value === undefined) return undefined;
  return value === true || value === 1 || value === '1';
}

export function asNumber(value: ReadValue | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** Text, with empty text as absent (Oracle stores '' as NULL; the others should read the same). */
export function asText(value: ReadValue | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = String(value);
  return text.trim() === '' ? undefined : text;
}
