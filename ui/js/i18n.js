// The window's language: its catalogue (ui/i18n/<tag>.json), the texts of the page put in
// place, and numbers, sizes, times and dates written the way the language writes them.
//
// A catalogue maps a key to a text with `{name}` placeholders, or to plural forms
// (`{"one": ..., "other": ...}`, chosen by Intl.PluralRules from the value `n`). The page
// names its texts with data-i18n (text), data-i18n-html (text with markup from the catalogue
// itself) and data-i18n-attr ("placeholder:key;aria-label:key"). Messages made by the app
// arrive in every language ({"en": ..., "zh-CN": ...}); `say` picks this window's.

let lang = 'en';
let texts = {};
let english = {};
let plurals = new Intl.PluralRules('en');
let numbers = new Intl.NumberFormat('en');

// Imported as JSON modules: WebKitGTK's fetch does not reach the app's own scheme.
async function catalogue(tag) {
  return (await import(`../i18n/${tag}.json`, { with: { type: 'json' } })).default;
}

/** Speaks `tag` (`en`, `zh-CN`) from now on; English fills any gap. */
export async function useLanguage(tag) {
  english = await catalogue('en');
  texts = tag === 'en' ? english : await catalogue(tag).catch(() => english);
  lang = texts === english ? 'en' : tag;
  plurals = new Intl.PluralRules(lang);
  numbers = new Intl.NumberFormat(lang);
  document.documentElement.lang = lang;
}

export const language = () => lang;

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The text for `key`, its `{placeholders}` filled from `values` (numbers formatted). */
export function t(key, values = {}) {
  let text = texts[key] ?? english[key];
  if (text === undefined) {
    console.error(`no text for ${key}`);
    return key;
  }
  if (typeof text === 'object') text = text[plurals.select(values.n ?? 0)] ?? text.other;
  const shown = {};
  for (const [name, value] of Object.entries(values)) {
    shown[name] = typeof value === 'number' ? numbers.format(value) : value;
  }
  return fill(text, shown);
}

/** A message from the app in this window's language (a plain string is shown as it is). */
export function say(message) {
  if (message == null) return '';
  if (typeof message === 'string') return message;
  return message[lang] ?? message.en ?? '';
}

/** `say`, starting with a capital where the language has them. */
export function sentence(message) {
  const text = say(message);
  return text.charAt(0).toLocaleUpperCase(lang) + text.slice(1);
}

/** Puts the catalogue's texts into `root` (the whole page by default). */
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  // The markup is the catalogue's own (code, strong), never anything a user typed.
  for (const el of root.querySelectorAll('[data-i18n-html]')) el.innerHTML = t(el.dataset.i18nHtml);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr, t(key));
    }
  }
}

// Formatting ---------------------------------------------------------------------------------

export const count = (n) => numbers.format(n);

const UNITS = ['KB', 'MB', 'GB', 'TB'];

export function bytes(n) {
  if (n < 1024) return `${numbers.format(n)} B`;
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value < 10 ? 1 : 0;
  const shown = new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${shown.format(value)} ${UNITS[unit]}`;
}

function unit(value, name, digits = 0) {
  return new Intl.NumberFormat(lang, {
    style: 'unit', unit: name, unitDisplay: 'short', minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(value);
}

export function duration(ms) {
  if (ms < 1000) return unit(ms, 'millisecond');
  if (ms < 60000) return unit(ms / 1000, 'second', 1);
  return `${unit(Math.floor(ms / 60000), 'minute')} ${unit(Math.round((ms % 60000) / 1000), 'second')}`;
}

/** A time of day, 24-hour. */
export function clock(timeMs) {
  return new Date(timeMs).toLocaleTimeString(lang, { hour12: false });
}

/** A date and time, for the tamper log. */
export function dateTime(timeMs) {
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(timeMs));
}

/** A day (`YYYY-MM-DD`, local), as the language writes dates. */
export function day(text) {
  const [y, m, d] = text.split('-').map(Number);
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }).format(new Date(y, m - 1, d));
}
