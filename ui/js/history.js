// The History view (behind the parent's PIN): a day picker, the day's requests and blocked
// attempts per hour as a chart, the sites visited and the blocked attempts, CSV export, how many
// days are kept, and the tamper log: every time protection was reduced.

import { api, errorText } from './api.js';
import { bytes, count, fieldMessage, toast } from './format.js';

/** Every text of the History view, the tamper log's sentences included. */
const TEXT = {
  dayOption: (d) => `${d.day} · ${count(d.requests)} requests · ${count(d.blocked)} blocked`,
  noDays: 'Nothing recorded yet.',
  more: (shown, all) => `The ${count(shown)} most visited of ${count(all)} sites; the CSV export has them all.`,
  moreBlocked: (shown, all) => `The first ${count(shown)} of ${count(all)}; the CSV export has them all.`,
  allowOnlyRule: 'not on the allowed list',
  blocklist: 'Blocklist',
  exported: (path) => `Saved as ${path}`,
  keepSaved: (days) => `History is kept for ${count(days)} ${days === 1 ? 'day' : 'days'}.`,
  where: (path) => `Kept in ${path}, on this computer only.`,
  chartLabel: (day, requests, blocked) => `Requests and blocked attempts per hour on ${day}: ${count(requests)} requests, ${count(blocked)} blocked`,
  refreshed: 'Up to date',
  tamper: {
    proxy_off: () => 'The proxy was switched off.',
    system_proxy_off: () => 'Wicket stopped being the system proxy.',
    quit: (e) => ({
      tray: 'Wicket was quit from the tray menu.',
      window: 'Wicket was quit (with the PIN).',
      window_closed: 'Wicket was quit by closing its window.',
      signal: 'Wicket was told to stop (logout, shutdown, or a kill command).',
      system: 'Wicket was stopped by the system.',
    }[e.via] || 'Wicket quit.'),
    not_running: (e) => (e.quit
      ? `Wicket was not running from ${when(e.since_ms)} until now.`
      : `Wicket was not running from ${when(e.since_ms)} until now, and had not been quit: it was killed, crashed, or the computer was switched off.`),
    config_changed: (e) => (e.pin_removed
      ? 'The settings file was changed while Wicket was not running, and the PIN was removed from it.'
      : 'The settings file was changed while Wicket was not running.'),
    pin_removed: () => 'The PIN was removed.',
    pin_changed: () => 'The PIN was changed.',
    rules_removed: (e) => (e.list
      ? `Removed from the list ${e.list}: ${e.rules.join(', ')}.`
      : `Removed from the blocklist: ${e.rules.join(', ')}.`),
    list_removed: (e) => `The list ${e.list} was deleted (${count(e.rules)} rules).`,
    list_off: (e) => `The list ${e.list} was switched off.`,
    list_renamed: (e) => `The list ${e.list} was renamed ${e.to}.`,
    schedule_changed: (e) => (e.schedule.length
      ? `The schedule of ${e.list} is now: ${e.schedule.join(', ')}.`
      : `The list ${e.list} now blocks all the time (its schedule was emptied).`),
    allow_only_off: () => 'Allow-only browsing was switched off.',
    allowed_sites_added: (e) => `Allowed sites added: ${e.sites.join(', ')}.`,
    bypass_added: (e) => `Sites that now go around Wicket: ${e.entries.join(', ')}.`,
    autostart_off: () => 'Wicket no longer starts at login.',
    history_shortened: (e) => `History is now kept for ${count(e.days)} days only.`,
  },
  unknown: (kind) => `Protection changed (${kind}).`,
};

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
const when = (ms) => dateTime.format(new Date(ms));

export class HistoryView {
  constructor() {
    this.locked = document.getElementById('history-locked');
    this.body = document.getElementById('history-body');
    this.daySelect = document.getElementById('history-day');
    this.msg = document.getElementById('history-msg');
    this.chart = new HourChart(document.getElementById('history-chart'));
    this.data = null;
    this.daySelect.addEventListener('change', () => this.load(this.daySelect.value));
    document.getElementById('history-refresh').addEventListener('click', () => this.load(this.daySelect.value || undefined, true));
    document.getElementById('history-unlock').addEventListener('click', () => this.load());
    document.getElementById('history-export').addEventListener('click', () => this.exportCsv(this.daySelect.value || undefined));
    document.getElementById('history-export-all').addEventListener('click', () => this.exportCsv(undefined));
    document.getElementById('history-keep').addEventListener('submit', (e) => {
      e.preventDefault();
      this.keep();
    });
  }

  /** Loads a day (the newest without one); the app asks for the PIN when one is set. */
  async load(day, said) {
    try {
      this.show(await api.history(day || undefined));
      this.locked.hidden = true;
      this.body.hidden = false;
      if (said) fieldMessage(null, this.msg, TEXT.refreshed, 'ok');
    } catch (err) {
      if (err && err.reason === 'locked') {
        this.locked.hidden = false;
        this.body.hidden = true;
      } else {
        this.body.hidden = false;
        fieldMessage(null, this.msg, errorText(err), 'error');
      }
    }
  }

  /** Hides the history again (the window was locked). */
  hide() {
    this.locked.hidden = false;
    this.body.hidden = true;
  }

  show(h) {
    this.data = h;
    const options = h.days.map((d) => {
      const option = document.createElement('option');
      option.value = d.day;
      option.textContent = TEXT.dayOption(d);
      return option;
    });
    this.daySelect.replaceChildren(...options);
    this.daySelect.disabled = !options.length;
    if (h.day) this.daySelect.value = h.day.day;
    document.getElementById('history-empty').hidden = h.days.length > 0;
    document.getElementById('history-day-panels').hidden = !h.day;
    document.getElementById('history-where').textContent = h.path ? TEXT.where(h.path) : (h.problem || '');
    document.getElementById('history-days').value = String(h.keep_days);
    if (h.day) this.showDay(h.day);
    this.showTamper(h.tamper);
  }

  showDay(d) {
    const requests = d.hours.reduce((n, h) => n + h.requests, 0);
    const blocked = d.hours.reduce((n, h) => n + h.blocked, 0);
    document.getElementById('history-requests').textContent = count(requests);
    document.getElementById('history-blocked-count').textContent = count(blocked);
    document.getElementById('history-sites').textContent = count(d.sites);
    this.chart.show(d.hours, TEXT.chartLabel(d.day, requests, blocked));
    fill('history-visits', d.visits.map((v) => [
      cell(v.host, 'host'), cell(count(v.requests), 'num'), cell(bytes(v.bytes), 'num'),
    ]), (v, i) => d.visits[i].host);
    fill('history-blocked', d.blocked.map((a) => [
      cell(a.host, 'host'), cell(count(a.count), 'num'),
      cell(a.rule === 'allow-only' ? TEXT.allowOnlyRule : a.rule, 'rule'),
      cell(a.list ?? TEXT.blocklist, 'list'),
    ]), (v, i) => d.blocked[i].host);
    document.getElementById('history-visits-empty').hidden = d.visits.length > 0;
    document.getElementById('history-blocked-empty').hidden = d.blocked.length > 0;
    more('history-visits-more', d.visits.length < d.sites ? TEXT.more(d.visits.length, d.sites) : '');
    more('history-blocked-more', d.blocked.length < d.blocked_rows ? TEXT.moreBlocked(d.blocked.length, d.blocked_rows) : '');
  }

  showTamper(entries) {
    fill('tamper-rows', entries.map((e) => {
      const text = TEXT.tamper[e.kind] ? TEXT.tamper[e.kind](e) : TEXT.unknown(e.kind);
      return [cell(when(e.time_ms), 'time'), cell(text, 'what')];
    }), (_, i) => entries[i].kind, 'kind');
    document.getElementById('tamper-empty').hidden = entries.length > 0;
  }

  async exportCsv(day) {
    try {
      const path = await api.exportHistory(day);
      fieldMessage(null, this.msg, TEXT.exported(path), 'ok');
      toast(TEXT.exported(path));
    } catch (err) {
      fieldMessage(null, this.msg, errorText(err), 'error');
    }
  }

  async keep() {
    const input = document.getElementById('history-days');
    const msg = document.getElementById('history-keep-msg');
    try {
      const config = await api.setHistoryDays(Number(input.value));
      fieldMessage(input, msg, TEXT.keepSaved(config.history_days), 'ok');
      this.load(this.daySelect.value || undefined);
    } catch (err) {
      fieldMessage(input, msg, errorText(err), 'error');
    }
  }
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** Fills a table body with rows of cells; each row gets `data-<key>` from `tag`. */
function fill(id, rows, tag, key = 'host') {
  const body = document.getElementById(id);
  body.replaceChildren(...rows.map((cells, i) => {
    const tr = document.createElement('tr');
    tr.dataset[key] = tag(cells, i);
    tr.append(...cells);
    return tr;
  }));
}

function more(id, text) {
  const el = document.getElementById(id);
  el.textContent = text;
  el.hidden = !text;
}

/** Requests (bars) and blocked attempts (darker bars in front) per hour of one day. */
class HourChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.hours = [];
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  show(hours, label) {
    this.hours = hours;
    this.canvas.setAttribute('aria-label', label);
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const style = getComputedStyle(document.documentElement);
    const color = (name) => style.getPropertyValue(name).trim();
    const left = 36;
    const bottom = 20;
    const top = 8;
    const plotW = width - left - 8;
    const plotH = height - top - bottom;
    const peak = Math.max(1, ...this.hours.map((h) => Math.max(h.requests, h.blocked)));
    const y = (v) => top + plotH - (v / peak) * plotH;
    const slot = plotW / 24;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = color('--muted');
    ctx.strokeStyle = color('--border');
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of [0, peak]) {
      const yy = Math.round(y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, yy);
      ctx.lineTo(width - 8, yy);
      ctx.stroke();
      ctx.fillText(String(v), left - 6, yy);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let h = 0; h < 24; h += 3) {
      ctx.fillText(`${String(h).padStart(2, '0')}:00`, left + slot * h + slot / 2, top + plotH + 6);
    }
    for (const h of this.hours) {
      const x = left + slot * h.hour + 2;
      const w = Math.max(2, slot - 4);
      ctx.fillStyle = color('--chart-requests');
      ctx.globalAlpha = 0.55;
      ctx.fillRect(x, y(h.requests), w, top + plotH - y(h.requests));
      ctx.globalAlpha = 1;
      ctx.fillStyle = color('--chart-blocked');
      ctx.fillRect(x + w / 4, y(h.blocked), w / 2, top + plotH - y(h.blocked));
    }
  }
}
