// The live request log: newest first, bounded, filterable by text and verdict, with a
// "Block this site" button per row.

import { api, errorText } from './api.js';
import { toast } from './format.js';
import { bytes, clock, duration, say, t } from './i18n.js';

/** Rows kept (the app keeps as many for a window opened later). */
const MAX_ROWS = 500;

export class RequestLog {
  constructor() {
    this.body = document.getElementById('log-rows');
    this.filter = document.getElementById('log-filter');
    this.verdict = document.getElementById('log-verdict');
    this.countEl = document.getElementById('log-count');
    this.empty = document.getElementById('log-empty');
    /** Newest first. */
    this.records = [];
    this.lastSeq = 0;
    this.missed = 0;
    // 'change' too: a field cleared by other means than typing (autofill, WebDriver's clear).
    for (const type of ['input', 'change']) this.filter.addEventListener(type, () => this.render());
    this.verdict.addEventListener('change', () => this.render());
    this.body.addEventListener('click', (e) => this.onClick(e));
  }

  /** Starts from the app's kept requests (oldest first). */
  reset(records, lastSeq) {
    this.records = records.slice().reverse().slice(0, MAX_ROWS);
    this.lastSeq = lastSeq;
    this.render();
  }

  /** Adds a batch (oldest first); records already shown (by sequence number) are skipped. */
  add(first, records, missed) {
    const fresh = records.filter((_, i) => first + i > this.lastSeq);
    if (fresh.length) this.lastSeq = first + records.length - 1;
    this.missed += missed;
    if (!fresh.length) return;
    const newestFirst = fresh.reverse();
    this.records = newestFirst.concat(this.records).slice(0, MAX_ROWS);
    const shown = newestFirst.filter((r) => this.matches(r));
    if (shown.length) {
      const fragment = document.createDocumentFragment();
      for (const r of shown) fragment.append(row(r));
      this.body.prepend(fragment);
      while (this.body.rows.length > MAX_ROWS) this.body.lastElementChild.remove();
    }
    this.updateCount();
  }

  matches(r) {
    const verdict = this.verdict.value;
    if (verdict && r.verdict !== verdict) return false;
    const text = this.filter.value.trim().toLowerCase();
    if (!text) return true;
    return [r.host, r.client, r.method, String(r.status), r.path, r.verdict, t(`verdict.${r.verdict}`)]
      .some((field) => field && field.toLowerCase().includes(text));
  }

  render() {
    const fragment = document.createDocumentFragment();
    for (const r of this.records) {
      if (this.matches(r)) fragment.append(row(r));
    }
    this.body.replaceChildren(fragment);
    this.updateCount();
  }

  updateCount() {
    const shown = this.body.rows.length;
    const total = this.records.length;
    this.empty.hidden = total > 0;
    let text = shown === total ? t('log.shown', { n: total }) : t('log.shown_of', { n: shown, total });
    if (this.missed) text += ` · ${t('log.skipped', { n: this.missed })}`;
    this.countEl.textContent = total ? text : '';
  }

  async onClick(event) {
    const button = event.target.closest('button[data-block]');
    if (!button) return;
    const host = button.dataset.block;
    button.disabled = true;
    try {
      const result = await api.addRules([host]);
      if (result.refused.length) {
        toast(t('log.cannot_block', { host, reason: say(result.refused[0].reason) }));
        button.disabled = false;
      } else if (result.already.length) {
        toast(t('log.already_blocked', { host }));
      } else {
        toast(t('log.blocked', { host: result.added[0] }));
      }
    } catch (err) {
      toast(errorText(err));
      button.disabled = false;
    }
  }
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(r) {
  const tr = document.createElement('tr');
  const client = r.client.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const host = r.host ? (r.port === 80 || r.port === 443 ? r.host : `${r.host}:${r.port}`) : '—';
  const hostCell = cell(host, 'host');
  hostCell.title = r.method === 'CONNECT' ? host : `http://${host}${r.path || ''}`;
  const verdict = document.createElement('span');
  verdict.className = `verdict ${r.verdict}`;
  verdict.textContent = t(`verdict.${r.verdict}`);
  const verdictCell = cell('', 'verdict-cell');
  verdictCell.append(verdict);
  if (r.rule) {
    const by = document.createElement('span');
    by.className = 'by';
    by.textContent = ` ${t('log.by_rule', { rule: r.rule })}`;
    verdictCell.append(by);
  }
  if (r.error) verdictCell.title = r.error;
  const action = cell('', 'action');
  if (r.host && r.verdict !== 'blocked') {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.block = r.host;
    button.textContent = t('log.block_site');
    button.setAttribute('aria-label', t('log.block_label', { host: r.host }));
    action.append(button);
  }
  tr.append(
    cell(clock(r.time_ms), 'time'),
    cell(client, 'client'),
    cell(r.method, 'method'),
    hostCell,
    cell(r.status ? String(r.status) : '—', 'num status'),
    cell(bytes(r.bytes_down + r.bytes_up), 'num'),
    cell(duration(r.duration_ms), 'num'),
    verdictCell,
    action,
  );
  tr.dataset.verdict = r.verdict;
  tr.dataset.host = r.host;
  return tr;
}
