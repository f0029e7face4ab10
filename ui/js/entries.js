// A list editor shared by the blocklist, the allowlist, the bypass list, the named lists' rules
// and schedules, and the allowed sites: add one entry (checked by the engine's parser as it is
// typed), paste many, search, count, remove. A list that may be huge (a named list holds
// 100 000 rules after an import) is not sent whole: with `opts.fetch` the editor asks the app
// for the entries matching the search, a page at a time.

import { errorText } from './api.js';
import { debounce, fieldMessage, toast } from './format.js';
import { say, t } from './i18n.js';

/** Entries rendered at most; a search narrows the rest. */
const MAX_SHOWN = 1000;

export class ListEditor {
  asked = 0;

  /**
   * @param root  the `.list-editor` element
   * @param opts  {check, add, remove, entries(config), noun (a catalogue key with plural forms:
   *              "{n} rules"), typeFirst (a key)} and, for a
   *              list kept in the app, fetch(query) -> {rules, total, matching} with entries(config)
   *              returning anything that changes when the list does (its size, say)
   */
  constructor(root, opts) {
    this.opts = opts;
    this.entries = [];
    this.one = root.querySelector('form.add-one');
    this.input = this.one.querySelector('input');
    this.inputMsg = document.getElementById(this.input.getAttribute('aria-describedby'));
    this.many = root.querySelector('form.add-many');
    this.textarea = this.many?.querySelector('textarea');
    this.manyMsg = this.textarea && document.getElementById(this.textarea.getAttribute('aria-describedby'));
    this.search = root.querySelector('.list-head input');
    this.countEl = root.querySelector('.count');
    this.list = root.querySelector('ul.entries');
    this.empty = root.querySelector('.empty');

    const check = debounce(() => this.checkTyped(), 120);
    this.input.addEventListener('input', check);
    this.one.addEventListener('submit', (e) => {
      e.preventDefault();
      this.addTyped();
    });
    this.many?.addEventListener('submit', (e) => {
      e.preventDefault();
      this.addPasted();
    });
    const search = opts.fetch ? debounce(() => this.render(), 150) : () => this.render();
    for (const type of ['input', 'change']) this.search?.addEventListener(type, search);
    this.list.addEventListener('click', (e) => this.onRemove(e));
  }

  /** Shows the list from a config. */
  update(config) {
    const entries = this.opts.entries(config);
    // Unchanged lists are left alone, so that the keyboard focus stays where it is.
    if (JSON.stringify(entries) === JSON.stringify(this.shownFor) && this.rendered) return;
    this.shownFor = entries;
    if (!this.opts.fetch) this.entries = entries;
    this.rendered = true;
    this.render();
  }

  /** Shows the list again (another named list was chosen, say). */
  reload() {
    this.rendered = false;
    this.entries = [];
    if (this.search) this.search.value = '';
    fieldMessage(this.input, this.inputMsg, '');
    if (this.manyMsg) fieldMessage(this.textarea, this.manyMsg, '');
  }

  async checkTyped() {
    const text = this.input.value;
    if (!text.trim()) {
      fieldMessage(this.input, this.inputMsg, '');
      return;
    }
    try {
      const canonical = await this.opts.check(text);
      if (text !== this.input.value) return; // typed on meanwhile
      const known = this.entries.includes(canonical);
      const note = known ? t('editor.already', { entry: canonical })
        : canonical !== text.trim() ? t('editor.will_be', { entry: canonical }) : '';
      fieldMessage(this.input, this.inputMsg, note, known ? '' : 'ok');
    } catch (err) {
      if (text !== this.input.value) return;
      fieldMessage(this.input, this.inputMsg, errorText(err), 'error');
    }
  }

  async addTyped() {
    const text = this.input.value;
    if (!text.trim()) {
      fieldMessage(this.input, this.inputMsg, t(this.opts.typeFirst), 'error');
      this.input.focus();
      return;
    }
    try {
      const result = await this.opts.add([text]);
      this.update(result.config);
      if (result.refused.length) {
        fieldMessage(this.input, this.inputMsg, say(result.refused[0].reason), 'error');
        this.input.focus();
      } else if (result.already.length) {
        fieldMessage(this.input, this.inputMsg, t('editor.already', { entry: result.already[0] }));
      } else {
        this.input.value = '';
        fieldMessage(this.input, this.inputMsg, t('editor.added', { entry: result.added[0] }), 'ok');
        toast(t('editor.added', { entry: result.added[0] }));
      }
    } catch (err) {
      fieldMessage(this.input, this.inputMsg, errorText(err), 'error');
    }
  }

  async addPasted() {
    const lines = this.textarea.value.split(/\r?\n/);
    if (!lines.some((l) => l.trim())) {
      fieldMessage(this.textarea, this.manyMsg, t('editor.paste_first'), 'error');
      return;
    }
    try {
      const result = await this.opts.add(lines);
      this.update(result.config);
      const parts = [t('editor.added_n', { n: result.added.length })];
      const already = result.already.length;
      if (already) parts.push(t('editor.already_n', { n: already }));
      this.manyMsg.replaceChildren(parts.join(' '));
      if (result.refused.length) {
        // Keep what was refused in the box, with the reasons, so that nothing is lost.
        this.textarea.value = result.refused.map((r) => r.input).join('\n');
        const intro = document.createElement('span');
        intro.textContent = ` ${t('editor.not_added', { n: result.refused.length })}`;
        const ul = document.createElement('ul');
        for (const r of result.refused) {
          const li = document.createElement('li');
          const code = document.createElement('code');
          code.textContent = r.input;
          li.append(code, t('editor.reason', { reason: say(r.reason) }));
          ul.append(li);
        }
        this.manyMsg.append(intro, ul);
        this.manyMsg.className = 'field-msg error';
        this.textarea.setAttribute('aria-invalid', 'true');
      } else {
        this.textarea.value = '';
        this.manyMsg.className = 'field-msg ok';
        this.textarea.removeAttribute('aria-invalid');
      }
    } catch (err) {
      fieldMessage(this.textarea, this.manyMsg, errorText(err), 'error');
    }
  }

  async render() {
    const query = this.search ? this.search.value.trim().toLowerCase() : '';
    let matching;
    let total;
    let shown;
    if (this.opts.fetch) {
      const asked = ++this.asked;
      let page;
      try {
        page = await this.opts.fetch(query);
      } catch (err) {
        fieldMessage(null, this.inputMsg, errorText(err), 'error');
        return;
      }
      if (asked !== this.asked) return; // a newer search is on its way
      this.entries = page.rules;
      total = page.total;
      shown = page.rules;
      matching = page.matching;
    } else {
      const found = query ? this.entries.filter((e) => e.toLowerCase().includes(query)) : this.entries;
      total = this.entries.length;
      shown = found.slice(0, MAX_SHOWN);
      matching = found.length;
    }
    const items = shown.map((entry) => {
      const li = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = entry;
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = t('editor.remove');
      button.dataset.entry = entry;
      button.setAttribute('aria-label', t('editor.remove_label', { entry }));
      li.append(code, button);
      return li;
    });
    if (matching > shown.length) {
      const li = document.createElement('li');
      li.className = 'more';
      li.textContent = t('editor.more', { n: matching - shown.length });
      items.push(li);
    }
    this.list.replaceChildren(...items);
    const all = t(this.opts.noun, { n: total });
    if (this.countEl) this.countEl.textContent = query ? t('editor.count_of', { n: matching, all }) : all;
    this.empty.hidden = total > 0;
  }

  async onRemove(event) {
    const button = event.target.closest('button[data-entry]');
    if (!button) return;
    const entry = button.dataset.entry;
    const next = button.closest('li').nextElementSibling?.querySelector('button');
    try {
      this.update(await this.opts.remove(entry));
      toast(t('editor.removed', { entry }));
      // Keep the keyboard where it was: on the next entry, or the search field.
      const again = next && this.list.querySelector(`button[data-entry="${CSS.escape(next.dataset.entry)}"]`);
      (again || this.search).focus();
    } catch (err) {
      toast(errorText(err));
    }
  }
}
