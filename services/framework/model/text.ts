/**
 * What text a service accepts, on both transports (the serializer applies it to every string
 * field before its schema): text must reach every copy unchanged, and be readable where it
 * is shown.
 *
 * - No unpaired UTF-16 surrogate ("\ud800" in JSON): UTF-8 cannot carry one, so the database
 *   and protobuf each replaced it with U+FFFD, differently, and the copies diverged.
 * - No control characters (C0, DEL, C1): NUL, BEL or ESC in a title breaks terminals, logs
 *   and some drivers. Tab, line feed and carriage return are allowed in fields the
 *   serializer declares `multiline`.
 * - Not invisible only: a non-empty value needs at least one character that is not white
 *   space or an invisible format character (zero-width space, direction marks, BOM), so
 *   "\u200b" cannot pass "must not be empty".
 */

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const VISIBLE = /[^\p{White_Space}\p{Cf}\p{Cc}\u115f\u1160\u3164\uffa0\u2800]/u;

/** Why `value` is not acceptable text, or undefined when it is. */
export function textProblem(value: string, options: { multiline?: boolean } = {}): string | undefined {
  if (LONE_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate: send valid Unicode';
  const control = (options.multiline ? CONTROL_BUT_LINES : CONTROL).exec(value);
  if (control) return `contains the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  // White space alone is left to the field's schema ("must not be empty" after trim, or allowed).
  if (value.trim().length > 0 && !VISIBLE.test(value)) return 'must contain a visible character';
  return undefined;
}
