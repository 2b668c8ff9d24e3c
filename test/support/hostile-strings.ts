/**
 * Text that must be stored exactly as sent and never executed: SQL that closes a string and
 * drops a table, placeholders of every driver, control characters, separators, emoji (surrogate
 * pairs, joiners, flags), combining marks, right-to-left text. No NUL and no unpaired surrogate:
 * those have rules of their own (see docs/reliability.md).
 */
export const HOSTILE_PIECES = [
  `'; DROP TABLE CANARY; --`,
  `Robert'); DELETE FROM CANARY;--`,
  `' OR '1'='1`,
  `"; UPDATE CANARY SET ID = 0; "`,
  `$1 $$ $q$ :1 ? %s {0} \${x} @p1`,
  `\\' \\\\ \\x00 \\u0000 %00 \\0`,
  `1; SELECT pg_sleep(30); --`,
  `*/ /* -- # ;`,
  `ctrl \u0001\u0002\u0007\b\t\n\v\f\r\u001b[31m\u007f\u0080\u0085\u009f`,
  `sep \u2028\u2029\u200b\u200d\ufeff\u202e\u00a0`,
  `emoji 😀👩‍👩‍👧‍👦🇫🇷🏳️‍🌈`,
  `text 𝕏𝔸∑≠ e\u0301 日本語 العربية עברית`,
  `<script>alert(1)</script> \`cmd\``,
] as const;

/**
 * Hostile text of at most `maxChars` characters (code points, as VARCHAR lengths count them),
 * starting at piece `start` so short columns do not all get the same prefix.
 */
export function hostileText(start: number, maxChars = Number.POSITIVE_INFINITY): string {
  const pieces = [...HOSTILE_PIECES.slice(start % HOSTILE_PIECES.length), ...HOSTILE_PIECES];
  return Array.from(pieces.join(' ')).slice(0, maxChars).join('');
}
