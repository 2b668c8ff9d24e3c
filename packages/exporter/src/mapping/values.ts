import type { AttributeValue, HrTime } from '@opentelemetry/api';
import type { ColumnType } from '@aitdr/schema';

/** A value as the mapper hands it to a dialect; each dialect binds it for its column type. */
export type RowValue = string | number | boolean | null;

/**
 * An instant as ISO-8601 UTC text with six decimals, `YYYY-MM-DDTHH:MM:SS.ffffffZ`: the portable
 * timestamp form every dialect binds (SQLite stores it as is). OpenTelemetry times carry
 * nanoseconds; a JS Date would keep only milliseconds, so the fraction is built from the HrTime
 * (truncated to microseconds). Built directly rather than by editing `hrTimeToTimeStamp`'s text:
 * the mapper formats every span's times, and that was a tenth of its time.
 */
export function hrTimeToIso(time: HrTime): string {
  // HrTimes decoded from OTLP by hand may carry a fraction or a nanosecond overflow.
  const nanos = Math.floor(time[1]);
  const carry = Math.floor(nanos / 1e9);
  const micros = Math.floor((nanos - carry * 1e9) / 1000);
  const seconds = Math.floor(time[0]) + carry;
  const secondsIso = wholeSecondsIso(seconds);
  if (secondsIso.length !== WHOLE_SECONDS_LENGTH || !(micros >= 0 && micros <= 999_999)) {
    return `${secondsIso}.${String(micros).padStart(6, '0')}Z`;
  }
  if (seconds !== isoBytesSeconds) {
    isoBytes.write(`${secondsIso}.`, 0, 'latin1');
    isoBytesSeconds = seconds;
  }
  let rest = micros;
  for (let at = ISO_LENGTH - 2; at > WHOLE_SECONDS_LENGTH; at--) {
    const tens = Math.floor(rest / 10);
    isoBytes[at] = 48 + rest - tens * 10;
    rest = tens;
  }
  return isoBytes.toString('latin1', 0, ISO_LENGTH);
}

const WHOLE_SECONDS_LENGTH = 'YYYY-MM-DDTHH:MM:SS'.length;
const ISO_LENGTH = 'YYYY-MM-DDTHH:MM:SS.ffffffZ'.length;

/**
 * The usual text is written here and read as one string: joined from its parts, it was three
 * strings more (two for the digits, then the joined one, which binding or posting copies again
 * as one piece), a fifth of the mapping's allocation. Only the digits change within a second.
 */
const isoBytes = Buffer.from('YYYY-MM-DDTHH:MM:SS.ffffffZ', 'latin1');
let isoBytesSeconds = NaN;

/** The spans of a trace (and of a batch) mostly share their day: the last one formatted is kept. */
let lastDay = NaN;
let lastDayIso = '';

/** And the last second formatted: a span's start and end, and the next span's, often share it. */
let lastSeconds = NaN;
let lastSecondsIso = '';

/** `YYYY-MM-DDTHH:MM:SS` of a whole number of seconds since the epoch. */
function wholeSecondsIso(seconds: number): string {
  if (seconds === lastSeconds) return lastSecondsIso;
  const text = formatWholeSeconds(seconds);
  lastSeconds = seconds;
  lastSecondsIso = text;
  return text;
}

function formatWholeSeconds(seconds: number): string {
  const day = Math.floor(seconds / 86_400);
  if (day !== lastDay) {
    lastDayIso = new Date(day * 86_400_000).toISOString().slice(0, 11);
    lastDay = day;
  }
  const first = lastDayIso.charCodeAt(0);
  // Years of four digits (all real ones): the time of day is plain arithmetic, with no Date made.
  if (lastDayIso.length === 11 && first >= 48 && first <= 57) {
    const inDay = seconds - day * 86_400;
    const hours = Math.floor(inDay / 3600);
    const minutes = Math.floor(inDay / 60) - hours * 60;
    return `${lastDayIso}${twoDigits(hours)}:${twoDigits(minutes)}:${twoDigits(inDay % 60)}`;
  }
  return new Date(seconds * 1000).toISOString().slice(0, 19);
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** A Date in the same portable form (a Date holds milliseconds, so the last three decimals are 0). */
export function dateToIso(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

/** A duration in milliseconds, rounded to the microsecond (the columns hold three decimals). */
export function hrTimeToMillis(duration: HrTime): number {
  return Math.round(duration[0] * 1e6 + duration[1] / 1e3) / 1e3;
}

/** The portable form itself (what the mapper makes of span times): valid text in it is kept as it is. */
const PORTABLE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * An ISO-8601 timestamp with a zone (`2026-11-25T09:30:00.000Z`, `…+01:00`) in the portable form,
 * keeping up to microseconds; undefined for anything else (no zone, impossible date).
 */
export function normalizeIsoTimestamp(text: string): string | undefined {
  if (PORTABLE_TIMESTAMP.test(text)) {
    // Fixed positions: checking the date is all there is to do (every span time comes this way).
    const valid = utcMillisOf(
      digitsAt(text, 0, 4),
      digitsAt(text, 5, 7),
      digitsAt(text, 8, 10),
      digitsAt(text, 11, 13),
      digitsAt(text, 14, 16),
      digitsAt(text, 17, 19),
    );
    return valid === undefined ? undefined : text;
  }
  const match = ISO_TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const local = utcMillisOf(
    Number(year),
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  if (local === undefined) return undefined;
  const offsetMinutes = zoneOffsetMinutes(zone);
  const seconds = (local - offsetMinutes * 60_000) / 1000;
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return hrTimeToIso([seconds, micros * 1000]);
}

/** The number the decimal digits of `text` from `from` to `to` spell (the caller checked they are digits). */
function digitsAt(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

/**
 * A span time as a timestamp column stores it: `hrTimeToIso`'s text, which is in the portable form
 * whenever its year has four digits (Date made it, so the date itself is valid), exactly what
 * `fitValue` would keep of it, without parsing it back (the mapper formats two per span).
 */
export function hrTimeToTimestamp(time: HrTime): string | undefined {
  const text = hrTimeToIso(time);
  const first = text.charCodeAt(0);
  // Years below 100 (and six-digit ones) take the general path, which reads them as it always did.
  return text.length === 27 && first >= 49 && first <= 57 ? text : normalizeIsoTimestamp(text);
}

/** Milliseconds since the epoch of a UTC wall-clock time, or undefined when no such time exists. */
function utcMillisOf(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  const local = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(local);
  // Date.UTC rolls 31 February over into March; refuse instead of guessing.
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return local;
}

function zoneOffsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

const HEX = /^[0-9a-f]+$/;

/** Whether `value` is a trace ID (32 hex) or span ID (16 hex) in lower case. */
export function isHexId(value: unknown, length: 16 | 32): value is string {
  return typeof value === 'string' && isLowerHex(value, length);
}

function isLowerHex(text: string, length: number): boolean {
  return text.length === length && HEX.test(text);
}

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The value a column of `type` stores for `value`, or undefined when the value does not fit the
 * column's type (then the column takes its next source, and an attribute stays in ATTRIBUTES).
 * Only the kind and format are checked here; lengths, ranges and closed sets are the database's
 * to refuse, so every dialect refuses the same data.
 */
export function fitValue(type: ColumnType, value: AttributeValue | undefined | null): RowValue | undefined {
  if (value === undefined || value === null) return undefined;
  switch (type.kind) {
    case 'id': {
      if (typeof value !== 'string') return undefined;
      // Most IDs come in lower case: kept as they are (toLowerCase copies the string even then).
      if (isLowerHex(value, type.length)) return value;
      // Upper-case hex is the same ID; anything else is not an ID.
      const id = value.toLowerCase();
      return isLowerHex(id, type.length) ? id : undefined;
    }
    case 'varchar':
    case 'text':
      if (typeof value === 'string') return value;
      return typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
        ? String(value)
        : undefined;
    case 'json':
      if (typeof value === 'string') return isValidJson(value) ? value : undefined;
      return JSON.stringify(value);
    case 'integer':
    case 'bigint':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
    case 'double':
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'timestamp':
      return typeof value === 'string' ? normalizeIsoTimestamp(value) : undefined;
  }
}
