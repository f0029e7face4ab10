// Small helpers shared by the views: debouncing, the toast, field messages. Numbers, sizes
// and times are written by i18n.js, in the window's language.

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
