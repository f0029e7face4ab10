// Number, size, time and duration formatting shared by the views.

const integer = new Intl.NumberFormat('en-US');

export const count = (n) => integer.format(n);

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function duration(ms) {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function clock(timeMs) {
  const d = new Date(timeMs);
  return d.toLocaleTimeString('en-GB', { hour12: false });
}

/** `n thing` / `n things`. */
export function plural(n, one, many) {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** Calls `fn` once `ms` have passed without another call. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

let toastTimer;
/** A short message at the bottom of the window (also read by screen readers). */
export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('shown'), 2600);
}

/** Sets a field's message and marks the field invalid when `kind` is 'error'. */
export function fieldMessage(input, msgEl, text, kind) {
  msgEl.textContent = text || '';
  msgEl.classList.toggle('error', kind === 'error');
  msgEl.classList.toggle('ok', kind === 'ok');
  if (input) {
    if (kind === 'error') input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}
