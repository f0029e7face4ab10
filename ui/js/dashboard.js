// The dashboard: live counters, the traffic chart, top hosts, and the request log.

import { TrafficChart } from './chart.js';
import { bytes, count } from './i18n.js';
import { RequestLog } from './log.js';

export class Dashboard {
  constructor() {
    this.chart = new TrafficChart(document.getElementById('chart'));
    this.log = new RequestLog();
    this.el = (id) => document.getElementById(id);
  }

  /** Counters, top lists and new chart seconds, from a `stats` event or the opening status. */
  stats(s) {
    for (const key of ['requests', 'blocked', 'denied', 'errors']) {
      const el = this.el(`stat-${key}`);
      el.textContent = count(s[key]);
      el.classList.toggle('zero', s[key] === 0);
    }
    this.el('stat-bytes').textContent = `${bytes(s.bytes_down)} / ${bytes(s.bytes_up)}`;
    this.el('stat-open').textContent = count(s.open_connections);
    topList(this.el('top-hosts'), this.el('top-hosts-empty'), s.top_hosts);
    topList(this.el('top-blocked'), this.el('top-blocked-empty'), s.top_blocked);
    this.chart.add(s.series);
  }

  config(c) {
    this.el('log-address').textContent = c.listen;
  }
}

function topList(list, empty, hosts) {
  const most = hosts.length ? hosts[0].count : 1;
  list.replaceChildren(...hosts.map((h) => {
    const li = document.createElement('li');
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${Math.max(2, (h.count / most) * 100)}%`;
    const host = document.createElement('span');
    host.className = 'host';
    host.textContent = h.host;
    host.title = h.host;
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = count(h.count);
    li.append(bar, host, n);
    return li;
  }));
  empty.hidden = hosts.length > 0;
}
