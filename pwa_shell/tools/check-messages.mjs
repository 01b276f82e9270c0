// Every message key in Finnish, Swedish and English: each table (messages.js and each messages/*.js)
// has the same keys in the three languages, no text is empty, a text's {placeholders} are the same in
// every language, and every key the sources name literally (t('…')) exists. Prints the problems as JSON
// lines and exits 1 if there are any (tests/unit/test_messages.py runs it).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const LANGUAGES = ['fi', 'sv', 'en'];
const problems = [];

const placeholders = (text) => JSON.stringify([...new Set(text.match(/\{\w+\}/g) ?? [])].sort());

function checkTable(name, table) {
  const keys = new Set(LANGUAGES.flatMap((lang) => Object.keys(table[lang] ?? {})));
  for (const key of keys) {
    const texts = LANGUAGES.map((lang) => table[lang]?.[key]);
    LANGUAGES.forEach((lang, i) => {
      if (typeof texts[i] !== 'string' || !texts[i].trim()) problems.push({ table: name, key, language: lang, problem: 'missing' });
    });
    if (texts.every((text) => typeof text === 'string') && new Set(texts.map(placeholders)).size > 1) {
      problems.push({ table: name, key, problem: 'placeholders differ', texts });
    }
  }
}

const { MESSAGES } = await import(join(SRC, 'messages.js'));
for (const file of readdirSync(join(SRC, 'messages'))) {
  checkTable(`messages/${file}`, (await import(join(SRC, 'messages', file))).default);
}
checkTable('messages.js (merged)', MESSAGES);

// Literal keys in the sources; a plural key (t('x', {count})) lives as x.one / x.other.
const sources = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.js') ? [path] : [];
  });
for (const path of sources(SRC)) {
  for (const [, key] of readFileSync(path, 'utf8').matchAll(/\bt\(\s*'([\w.-]+\.[\w.-]+)'/g)) {
    if (!(key in MESSAGES.fi) && !(`${key}.other` in MESSAGES.fi)) {
      problems.push({ file: basename(path), key, problem: 'used but not defined' });
    }
  }
}

for (const problem of problems) console.log(JSON.stringify(problem));
process.exit(problems.length ? 1 : 0);
