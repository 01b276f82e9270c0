// Translations: t('key', {param}) in the current language, Finnish by default. The choice is kept in
// localStorage so it survives reloads; Lit views re-render through I18nController when it changes.
import { MESSAGES } from './messages.js';

export const LANGUAGES = [
  { code: 'fi', name: 'Suomi' },
  { code: 'sv', name: 'Svenska' },
  { code: 'en', name: 'English' },
];
export const LANGUAGE_KEY = 'kaari.language';
const DEFAULT = 'fi';
const listeners = new Set();

let current = readStored();

function readStored() {
  try {
    const stored = localStorage.getItem(LANGUAGE_KEY);
    return stored in MESSAGES ? stored : DEFAULT;
  } catch {
    return DEFAULT; // storage can be blocked; the app still works in Finnish
  }
}

export function language() {
  return current;
}

export function setLanguage(code) {
  if (!(code in MESSAGES) || code === current) return;
  current = code;
  try {
    localStorage.setItem(LANGUAGE_KEY, code);
  } catch {
    /* not persisted, still switched */
  }
  document.documentElement.lang = code;
  for (const listener of listeners) listener(code);
}

/** Forget a wiped device's choice and return to the default. */
export function resetLanguage() {
  current = DEFAULT;
  document.documentElement.lang = DEFAULT;
  for (const listener of listeners) listener(DEFAULT);
}

export function t(key, params = {}) {
  const table = MESSAGES[current];
  let text;
  if ('count' in params) {
    const form = new Intl.PluralRules(current).select(params.count);
    text = table[`${key}.${form}`] ?? table[`${key}.other`];
  }
  text ??= table[key] ?? MESSAGES[DEFAULT][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** A label from the server's {fi, sv, en} labels, in the current language if it has one. */
export function label(labels) {
  if (!labels) return '';
  return labels[current] ?? labels[DEFAULT] ?? Object.values(labels)[0] ?? '';
}

/** Lit reactive controller: re-render the host when the language changes. */
export class I18nController {
  constructor(host) {
    this.host = host;
    this.onChange = () => host.requestUpdate();
    host.addController(this);
  }

  hostConnected() {
    listeners.add(this.onChange);
  }

  hostDisconnected() {
    listeners.delete(this.onChange);
  }
}

document.documentElement.lang = current;
