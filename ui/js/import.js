// Importing a published blocklist (a hosts file, a plain list of domains, `||domain^` lines)
// into a new or an existing named list, from a file or pasted. The text goes to the app a few
// thousand lines at a time, so that the progress bar moves and the window stays responsive;
// the app applies and saves the whole import once at the end. The report says what was added,
// merged, skipped, and which lines could not be read.

import { api, errorText } from './api.js';
import { fieldMessage, toast } from './format.js';
import { say, t } from './i18n.js';

/** Lines sent to the app at once. */
const CHUNK_LINES = 10000;
/** Invalid lines listed (the app sends at most 1000). */
const MAX_INVALID_SHOWN = 1000;

export class Importer {
  constructor() {
    this.form = document.getElementById('import-form');
    this.file = document.getElementById('import-file');
    this.text = document.getElementById('import-text');
    this.target = document.getElementById('import-target');
    this.name = document.getElementById('import-name');
    this.nameField = document.getElementById('import-name-field');
    this.start = document.getElementById('import-start');
    this.progress = document.getElementById('import-progress');
    this.msg = document.getElementById('import-msg');
    this.report = document.getElementById('import-report');
    this.lists = [];
    this.busy = false;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.run();
    });
    this.target.addEventListener('change', () => this.showName());
    /** Called with the config after an import. */
    this.changed = () => {};
  }

  /** Keeps the target menu in step with the lists. */
  config(c) {
    const names = c.lists.map((l) => l.name);
    if (JSON.stringify(names) === JSON.stringify(this.lists)) return;
    this.lists = names;
    const chosen = this.target.value;
    const options = names.map((name) => {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      return option;
    });
    const fresh = document.createElement('option');
    fresh.value = '';
    fresh.textContent = t('import.new_list');
    this.target.replaceChildren(fresh, ...options);
    this.target.value = names.includes(chosen) ? chosen : '';
    this.showName();
  }

  showName() {
    this.nameField.hidden = this.target.value !== '';
  }

  async run() {
    if (this.busy) return;
    const file = this.file.files[0];
    const create = this.target.value === '';
    const list = create ? this.name.value.trim() : this.target.value;
    if (!file && !this.text.value.trim()) {
      fieldMessage(null, this.msg, t('import.no_text'), 'error');
      return;
    }
    if (!list) {
      fieldMessage(this.name, this.msg, t('import.no_name'), 'error');
      this.name.focus();
      return;
    }
    this.busy = true;
    this.start.disabled = true;
    this.report.replaceChildren();
    this.progress.hidden = false;
    this.progress.removeAttribute('value');
    fieldMessage(this.name, this.msg, t('import.reading'));
    try {
      const text = file ? await file.text() : this.text.value;
      const lines = text.split(/\r?\n/);
      if (lines.length && lines[lines.length - 1] === '') lines.pop();
      this.progress.max = lines.length || 1;
      let importId = null;
      let progress = null;
      for (let first = 0; first < lines.length || importId === null; first += CHUNK_LINES) {
        // Every line with its end, so a piece that ends on a blank line has as many lines
        // for the app as here.
        const chunk = lines.slice(first, first + CHUNK_LINES).map((line) => `${line}\n`).join('');
        progress = await api.importChunk(importId, first + 1, chunk);
        importId = progress.import_id;
        this.progress.value = progress.lines;
        fieldMessage(null, this.msg, t('import.sending', { done: progress.lines, n: lines.length }));
        if (!lines.length) break;
      }
      this.progress.removeAttribute('value');
      fieldMessage(null, this.msg, t('import.saving', { n: progress.rules }));
      const result = await api.importCommit(importId, list, create);
      this.progress.value = this.progress.max;
      this.show(result.report);
      fieldMessage(null, this.msg, t('import.done', { n: result.report.added, list: result.report.list }), 'ok');
      toast(t('import.toast', { n: result.report.added, list: result.report.list }));
      this.file.value = '';
      this.text.value = '';
      this.name.value = '';
      this.changed(result.config);
      this.target.value = result.report.list;
      this.showName();
    } catch (err) {
      fieldMessage(null, this.msg, errorText(err), 'error');
    } finally {
      this.busy = false;
      this.start.disabled = false;
      this.progress.hidden = true;
    }
  }

  show(r) {
    const facts = document.createElement('ul');
    facts.className = 'import-facts';
    const items = [t('import.lines', { n: r.lines })];
    if (r.duplicates) items.push(t('import.duplicates', { n: r.duplicates }));
    if (r.already) items.push(t('import.already', { n: r.already }));
    if (r.comments) items.push(t('import.comments', { n: r.comments }));
    if (r.not_blocks) items.push(t('import.not_blocks', { n: r.not_blocks }));
    items.push(r.invalid_count ? t('import.invalid', { n: r.invalid_count }) : t('import.none_invalid'));
    facts.append(...items.map((text) => {
      const li = document.createElement('li');
      li.textContent = text;
      return li;
    }));
    this.report.replaceChildren(facts);
    if (r.invalid.length) {
      const ol = document.createElement('ol');
      ol.className = 'invalid-lines';
      ol.id = 'import-invalid';
      for (const line of r.invalid.slice(0, MAX_INVALID_SHOWN)) {
        const li = document.createElement('li');
        li.dataset.line = String(line.line);
        const where = document.createElement('span');
        where.className = 'where';
        where.textContent = t('import.line', { n: line.line });
        const code = document.createElement('code');
        code.textContent = line.text;
        const why = document.createElement('span');
        why.className = 'why';
        why.textContent = say(line.reason);
        li.append(where, code, why);
        ol.append(li);
      }
      this.report.append(ol);
      if (r.invalid_count > r.invalid.length) {
        const more = document.createElement('p');
        more.className = 'help';
        more.textContent = t('import.invalid_more', { n: r.invalid_count - r.invalid.length });
        this.report.append(more);
      }
    }
  }
}
