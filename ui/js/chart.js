// The traffic chart: requests per second (area) and blocked per second (line) over the last
// five minutes, drawn on a canvas. Points arrive with the stats events; missing seconds are 0.

import { count, t } from './i18n.js';

const SECONDS = 300;
const axis = () => new Intl.NumberFormat(document.documentElement.lang, { notation: 'compact', maximumFractionDigits: 1 });

export class TrafficChart {
  constructor(canvas) {
    this.canvas = canvas;
    /** time (s) -> {requests, blocked} */
    this.points = new Map();
    this.latest = 0;
    new ResizeObserver(() => this.draw()).observe(canvas);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.draw());
  }

  /** Adds seconds (any order, repeats ignored) and redraws. */
  add(series) {
    for (const p of series) {
      this.points.set(p.time, p);
      if (p.time > this.latest) this.latest = p.time;
    }
    for (const t of this.points.keys()) {
      if (t <= this.latest - SECONDS) this.points.delete(t);
    }
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
    const end = this.latest || Math.floor(Date.now() / 1000);
    const requests = [];
    const blocked = [];
    for (let i = 0; i < SECONDS; i += 1) {
      const p = this.points.get(end - SECONDS + 1 + i);
      requests.push(p ? p.requests : 0);
      blocked.push(p ? p.blocked : 0);
    }
    const top = niceMax(Math.max(1, ...requests, ...blocked));
    const peak = Math.max(...requests);
    canvas.setAttribute('aria-label', t('chart.label', {
      requests: count(requests[SECONDS - 1]), peak: count(peak),
      blocked: count(blocked[SECONDS - 1]), blocked_peak: count(Math.max(...blocked)),
    }));

    const left = 36;
    const right = 8;
    const plotTop = 8;
    const bottom = 20;
    const plotW = width - left - right;
    const plotH = height - plotTop - bottom;
    const x = (i) => left + (i / (SECONDS - 1)) * plotW;
    const y = (v) => plotTop + plotH - (v / top) * plotH;

    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = color('--muted');
    ctx.strokeStyle = color('--border');
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of [0, top / 2, top]) {
      const yy = Math.round(y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, yy);
      ctx.lineTo(width - right, yy);
      ctx.stroke();
      ctx.fillText(formatAxis(v), left - 6, yy);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let m = 5; m >= 0; m -= 1) {
      const i = SECONDS - 1 - m * 60;
      const label = m === 0 ? t('chart.now') : t('chart.minutes_ago', { n: m });
      ctx.textAlign = m === 5 ? 'left' : m === 0 ? 'right' : 'center';
      ctx.fillText(label, Math.max(left, x(Math.max(i, 0))), plotTop + plotH + 6);
    }

    const path = (values) => {
      ctx.beginPath();
      values.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    };
    const requestsColor = color('--chart-requests');
    path(requests);
    ctx.lineTo(x(SECONDS - 1), y(0));
    ctx.lineTo(x(0), y(0));
    ctx.closePath();
    ctx.globalAlpha = 0.18;
    ctx.fillStyle = requestsColor;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1.6;
    ctx.strokeStyle = requestsColor;
    path(requests);
    ctx.stroke();
    ctx.strokeStyle = color('--chart-blocked');
    path(blocked);
    ctx.stroke();
  }
}

function niceMax(v) {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= v) return step * magnitude;
  }
  return 10 * magnitude;
}

function formatAxis(v) {
  return axis().format(v);
}
