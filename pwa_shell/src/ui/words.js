// A translated name for a code the server sends (a field, a record type, a rule): the text of
// `${prefix}.${code}` when there is one, else the code itself, so a new code still shows something.
import { t } from '../i18n.js';

export function named(prefix, code) {
  const key = `${prefix}.${code}`;
  const text = t(key);
  return text === key ? code : text;
}
