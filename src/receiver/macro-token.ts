/**
 * Whether an inbound value is a macro the sending network left unreplaced.
 *
 * A network that has no value for a slot often sends the placeholder itself:
 * Everflow sends an unknown or miscased macro literally, MyLead writes
 * `[ml_sub1]`, others `%subid1%`, `##CLICK_ID##`, `${visit_id}`, `{{clickid}}`.
 * Such a value is not data: as a click id it would be pinged to the tracker,
 * which answers "click not found" while the relay has said "accepted".
 *
 * Only a whole value counts, and only when its inside looks like a macro name
 * (a letter or `_` first, then letters, digits, `_`, `.` or `-`), so real ids
 * that merely contain brackets or `#` are left alone.
 */
const NAME = '[A-Za-z_][A-Za-z0-9_.-]*';
const TOKEN = new RegExp(
  [
    `\\{\\{\\s*${NAME}\\s*\\}\\}`, // {{clickid}}, {{order.number}}
    `\\$\\{${NAME}\\}`, // ${visit_id}
    `\\{${NAME}\\}`, // {sub1}
    `##${NAME}##`, // ##CLICK_ID##
    `#${NAME}#`, // #s2#
    `\\[${NAME}\\]`, // [ml_sub1]
    `%${NAME}%`, // %subid1%
  ]
    .map((form) => `(?:${form})`)
    .join('|'),
);
const WHOLE_TOKEN = new RegExp(`^(?:${TOKEN.source})$`);
// A placeholder whose braces arrived percent-encoded once more than the query decoding undid.
const ENCODED_BRACES = new RegExp(`^%7B${NAME}%7D$`, 'i');

export function isUnreplacedMacro(value: string): boolean {
  const trimmed = value.trim();
  if (trimmed.length < 3) return false;
  return WHOLE_TOKEN.test(trimmed) || ENCODED_BRACES.test(trimmed);
}
