// The Lists view: named lists (create, rename, delete, switch on and off as a group), each
// list's rules (asked from the app a page at a time: an imported list may hold 100 000) and its
// schedule (time windows checked by the engine as they are typed), and allow-only browsing with
// its allowed sites. The dashboard's "Lists now" panel is drawn here too.

import { api, errorText } from './api.js';
import { ListEditor } from './entries.js';
import { fieldMessage, toast } from './format.js';
import { t } from './i18n.js';

export class ListsView {
  constructor() {
    this.lists = [];
    this.selected = null;
    this.nav = document.getElementById('lists-nav');
    this.navEmpty = document.getElementById('lists-empty');
    this.detail = document.getElementById('list-detail');
    this.title = document.getElementById('list-title');
    this.state = document.getElementById('list-state');
    this.switch = document.getElementById('list-switch');
    this.renameInput = document.getElementById('list-rename-input');
    this.renameMsg = document.getElementById('list-rename-msg');

    const create = document.getElementById('list-create');
    const createInput = document.getElementById('list-new');
    const createMsg = document.getElementById('list-new-msg');
    create.addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = createInput.value.trim();
      if (!name) {
        fieldMessage(createInput, createMsg, t('lists.type_name'), 'error');
        return;
      }
      try {
        const config = await api.createList(name);
        createInput.value = '';
        fieldMessage(createInput, createMsg, '');
        this.selected = config.lists.find((l) => l.name.toLowerCase() === name.toLowerCase())?.name ?? null;
        this.onConfig(config);
        toast(t('lists.created', { name: this.selected }));
        this.renameInput.focus();
      } catch (err) {
        fieldMessage(createInput, createMsg, errorText(err), 'error');
      }
    });
    this.nav.addEventListener('click', (e) => {
      const button = e.target.closest('button[data-list]');
      if (button) this.select(button.dataset.list);
    });
    this.switch.addEventListener('click', () => this.toggleList());
    document.getElementById('list-rename').addEventListener('submit', (e) => {
      e.preventDefault();
      this.rename();
    });
    document.getElementById('list-delete').addEventListener('click', () => this.remove());

    const selected = () => this.selected;
    this.rulesEditor = new ListEditor(document.getElementById('list-rules-editor'), {
      check: api.checkRule,
      add: (entries) => api.addListRules(selected(), entries),
      remove: (rule) => api.removeListRule(selected(), rule),
      entries: (c) => c.lists.find((l) => l.name === selected())?.rules ?? 0,
      fetch: (query) => api.listRules(selected(), query),
      noun: 'count.rules',
      typeFirst: 'editor.type_site',
    });
    this.scheduleEditor = new ListEditor(document.getElementById('schedule-editor'), {
      check: api.checkWindow,
      add: (entries) => api.addListWindows(selected(), entries),
      remove: (entry) => api.removeListWindow(selected(), entry),
      entries: (c) => c.lists.find((l) => l.name === selected())?.schedule ?? [],
      noun: 'count.windows',
      typeFirst: 'lists.type_window',
    });

    this.allowOnly = document.getElementById('allow-only');
    this.allowOnlyState = document.getElementById('allow-only-state');
    this.allowOnly.addEventListener('click', () => this.toggleAllowOnly());
    this.allowed = new ListEditor(document.getElementById('allowed-editor'), {
      check: api.checkRule,
      add: api.addAllowedSites,
      remove: api.removeAllowedSite,
      entries: (c) => c.allowed_sites,
      noun: 'count.sites',
      typeFirst: 'editor.type_site',
    });
    /** Called with every config this view gets back from the app. */
    this.changed = () => {};
  }

  /** A new config: the lists, the selected list's editors, allow-only. */
  config(c) {
    this.lists = c.lists;
    this.allowOnlyOn = c.allow_only;
    if (this.selected && !c.lists.some((l) => l.name === this.selected)) this.selected = null;
    if (!this.selected && c.lists.length) this.selected = c.lists[0].name;
    this.renderNav();
    this.renderDetail();
    if (this.selected) {
      this.rulesEditor.update(c);
      this.scheduleEditor.update(c);
    }
    this.allowed.update(c);
    this.allowOnly.setAttribute('aria-checked', String(c.allow_only));
    const allowOnly = !c.allow_only ? t('allow_only.off')
      : c.allowed_sites.length ? t('allow_only.on', { n: c.allowed_sites.length }) : t('allow_only.on_none');
    fieldMessage(null, this.allowOnlyState, allowOnly,
      c.allow_only && !c.allowed_sites.length ? 'error' : '');
  }

  /** Schedules moved on: which lists block now. */
  listsNow(now) {
    for (const list of this.lists) {
      const found = now.find((n) => n.name === list.name);
      if (found) list.in_force = found.in_force;
    }
    this.renderNav();
    this.renderDetail();
  }

  onConfig(config) {
    this.changed(config);
  }

  select(name) {
    if (name === this.selected) return;
    this.selected = name;
    this.rulesEditor.reload();
    this.scheduleEditor.reload();
    this.renderNav();
    this.renderDetail();
    const c = { lists: this.lists };
    this.rulesEditor.update(c);
    this.scheduleEditor.update(c);
  }

  renderNav() {
    this.nav.replaceChildren(...this.lists.map((l) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.list = l.name;
      button.setAttribute('aria-current', String(l.name === this.selected));
      const name = document.createElement('span');
      name.className = 'list-name';
      name.textContent = l.name;
      const meta = document.createElement('span');
      meta.className = 'list-meta';
      meta.textContent = t('count.rules', { n: l.rules });
      button.append(name, chip(l), meta);
      li.append(button);
      return li;
    }));
    this.navEmpty.hidden = this.lists.length > 0;
  }

  renderDetail() {
    const list = this.lists.find((l) => l.name === this.selected);
    this.detail.hidden = !list;
    if (!list) return;
    if (this.title.textContent !== list.name) {
      this.title.textContent = list.name;
      this.renameInput.value = list.name;
      fieldMessage(this.renameInput, this.renameMsg, '');
    }
    this.switch.setAttribute('aria-checked', String(list.enabled));
    fieldMessage(null, this.state, stateText(list), list.in_force ? 'ok' : '');
  }

  async toggleList() {
    const list = this.lists.find((l) => l.name === this.selected);
    if (!list || this.switch.getAttribute('aria-busy') === 'true') return;
    this.switch.setAttribute('aria-busy', 'true');
    try {
      this.onConfig(await api.setListEnabled(list.name, !list.enabled));
    } catch (err) {
      toast(errorText(err));
    } finally {
      this.switch.removeAttribute('aria-busy');
    }
  }

  async rename() {
    const to = this.renameInput.value.trim();
    if (!to) {
      fieldMessage(this.renameInput, this.renameMsg, t('lists.type_name'), 'error');
      return;
    }
    try {
      const config = await api.renameList(this.selected, to);
      this.selected = config.lists.find((l) => l.name.toLowerCase() === to.toLowerCase())?.name ?? null;
      this.title.textContent = '';
      this.onConfig(config);
      toast(t('lists.renamed', { name: this.selected }));
    } catch (err) {
      fieldMessage(this.renameInput, this.renameMsg, errorText(err), 'error');
    }
  }

  async remove() {
    const list = this.lists.find((l) => l.name === this.selected);
    if (!list || !window.confirm(t('lists.confirm_delete', { name: list.name, rules: t('count.rules', { n: list.rules }) }))) return;
    try {
      const config = await api.deleteList(list.name);
      this.selected = null;
      this.rulesEditor.reload();
      this.scheduleEditor.reload();
      this.onConfig(config);
      toast(t('lists.deleted', { name: list.name }));
    } catch (err) {
      toast(errorText(err));
    }
  }

  async toggleAllowOnly() {
    if (this.allowOnly.getAttribute('aria-busy') === 'true') return;
    this.allowOnly.setAttribute('aria-busy', 'true');
    try {
      this.onConfig(await api.setAllowOnly(!this.allowOnlyOn));
    } catch (err) {
      fieldMessage(null, this.allowOnlyState, errorText(err), 'error');
    } finally {
      this.allowOnly.removeAttribute('aria-busy');
    }
  }
}

function stateText(list) {
  const windows = list.schedule.join(t('common.list_separator'));
  if (!list.enabled) return t('lists.off');
  if (!list.schedule.length) return t('lists.always');
  return list.in_force ? t('lists.in_force', { windows }) : t('lists.not_now', { windows });
}

function chip(list) {
  const span = document.createElement('span');
  const kind = !list.enabled ? 'off' : list.in_force ? 'on' : 'later';
  span.className = `chip ${kind}`;
  span.textContent = t(`lists.chip_${kind}`);
  return span;
}

/** The dashboard's "Lists now": every list with whether it blocks now. */
export function renderListsNow(config) {
  const panel = document.getElementById('lists-now-panel');
  const ul = document.getElementById('lists-now');
  const note = document.getElementById('allow-only-now');
  panel.hidden = !config.lists.length && !config.allow_only;
  note.hidden = !config.allow_only;
  note.textContent = t('allow_only.now');
  ul.replaceChildren(...config.lists.map((l) => {
    const li = document.createElement('li');
    li.dataset.list = l.name;
    li.dataset.inForce = String(l.in_force);
    const name = document.createElement('span');
    name.className = 'list-name';
    name.textContent = l.name;
    const detail = document.createElement('span');
    detail.className = 'list-meta';
    detail.textContent = stateText(l);
    li.append(chip(l), name, detail);
    return li;
  }));
}
