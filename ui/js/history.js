// The History view (behind the parent's PIN): a day picker, the day's requests and blocked
// attempts per hour as a chart, the sites visited and the blocked attempts, CSV export, how many
// days are kept, and the tamper log: every time protection was reduced.

import { api, errorText } from './api.js';
import { fieldMessage, toast } from './format.js';
import { bytes, count, dateTime, day as dayText, say, t } from './i18n.js';

/** The tamper log's sentence for an entry (`tamper.<kind>`, some with a variant). */
function tamperText(e) {
  const list = (items) => items.join(t('common.list_separator'));
  switch (e.kind) {
    case 'quit': return t(`tamper.quit_${e.via}`);
    case 'not_running':
      return t(e.quit ? 'tamper.not_running_quit' : 'tamper.not_running_killed', { since: dateTime(e.since_ms) });
    case 'config_changed': return t(e.pin_removed ? 'tamper.config_changed_pin' : 'tamper.config_changed');
    case 'rules_removed':
      return e.list ? t('tamper.rules_removed_list', { list: e.list, rules: list(e.rules) })
        : t('tamper.rules_removed', { rules: list(e.rules) });
    case 'list_removed': return t('tamper.list_removed', { list: e.list, n: e.rules });
    case 'list_off': return t('tamper.list_off', { list: e.list });
    case 'list_renamed': return t('tamper.list_renamed', { list: e.list, to: e.to });
    case 'schedule_changed':
      return e.schedule.length ? t('tamper.schedule_changed', { list: e.list, schedule: list(e.schedule) })
        : t('tamper.schedule_emptied', { list: e.list });
    case 'allowed_sites_added': return t('tamper.allowed_sites_added', { sites: list(e.sites) });
    case 'bypass_added': return t('tamper.bypass_added', { entries: list(e.entries) });
    case 'proxy_failed': return t('tamper.proxy_failed', { address: e.address });
    case 'history_shortened': return t('tamper.history_shortened', { n: e.days });
    case 'proxy_off': case 'system_proxy_off': case 'pin_removed': case 'pin_changed':
    case 'allow_only_off': case 'autostart_off':
      return t(`tamper.${e.kind}`);
    default: return t('tamper.unknown', { kind: e.kind });
  }
}

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
      if (said) fieldMessage(null, this.msg, t('history.refreshed'), 'ok');
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
      option.textContent = t('history.day_option', { n: d.requests, day: dayText(d.day), requests: d.requests, blocked: d.blocked });
      return option;
    });
    this.daySelect.replaceChildren(...options);
    this.daySelect.disabled = !options.length;
    if (h.day) this.daySelect.value = h.day.day;
    document.getElementById('history-empty').hidden = h.days.length > 0;
    document.getElementById('history-day-panels').hidden = !h.day;
    document.getElementById('history-where').textContent = h.path ? t('history.where', { path: h.path }) : say(h.problem);
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
    this.chart.show(d.hours, t('history.chart_label', { day: dayText(d.day), requests, blocked }));
    fill('history-visits', d.visits.map((v) => [
      cell(v.host, 'host'), cell(count(v.requests), 'num'), cell(bytes(v.bytes), 'num'),
    ]), (v, i) => d.visits[i].host);
    fill('history-blocked', d.blocked.map((a) => [
      cell(a.host, 'host'), cell(count(a.count), 'num'),
      cell(a.rule === 'allow-only' ? t('history.not_allowed') : a.rule, 'rule'),
      cell(a.list ?? t('tab.blocklist'), 'list'),
    ]), (v, i) => d.blocked[i].host);
    document.getElementById('history-visits-empty').hidden = d.visits.length > 0;
    document.getElementById('history-blocked-empty').hidden = d.blocked.length > 0;
    more('history-visits-more', d.visits.length < d.sites
      ? t('history.more_visits', { shown: d.visits.length, n: d.sites }) : '');
    more('history-blocked-more', d.blocked.length < d.blocked_rows
      ? t('history.more_blocked', { shown: d.blocked.length, n: d.blocked_rows }) : '');
  }

  showTamper(entries) {
    fill('tamper-rows', entries.map((e) => {
      return [cell(dateTime(e.time_ms), 'time'), cell(tamperText(e), 'what')];
    }), (_, i) => entries[i].kind, 'kind');
    document.getElementById('tamper-empty').hidden = entries.length > 0;
  }

  async exportCsv(day) {
    try {
      const path = await api.exportHistory(day);
      fieldMessage(null, this.msg, t('history.exported', { path }), 'ok');
      toast(t('history.exported', { path }));
    } catch (err) {
      fieldMessage(null, this.msg, errorText(err), 'error');
    }
  }

  async keep() {
    const input = document.getElementById('history-days');
    const msg = document.getElementById('history-keep-msg');
    try {
      const config = await api.setHistoryDays(Number(input.value));
      fieldMessage(input, msg, t('history.kept', { n: config.history_days }), 'ok');
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
      ctx.fillText(count(v), left - 6, yy);
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
