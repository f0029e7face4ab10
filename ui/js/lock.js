// The parent's PIN in the window: the dialog that asks for it (whenever a command is refused
// because it needs it), the lock button in the top bar, and the PIN panel in Settings. The
// check itself is in the app: this only asks and shows.

import { api, errorText } from './api.js';
import { fieldMessage, toast } from './format.js';
import { t } from './i18n.js';

/** Why the PIN is asked for, by the command that needs it. */
const WHY = ['set_enabled', 'set_system_proxy', 'quit', 'history', 'export_history', 'set_pin', 'remove_pin'];

export class ParentLock {
  constructor() {
    this.view = { pin_set: false, unlocked: true, unlocked_secs: 0, wait_secs: 0 };
    this.dialog = document.getElementById('pin-dialog');
    this.form = document.getElementById('pin-form');
    this.why = document.getElementById('pin-why');
    this.input = document.getElementById('pin-input');
    this.msg = document.getElementById('pin-msg');
    this.submit = document.getElementById('pin-submit');
    this.button = document.getElementById('lock-button');
    this.pending = null;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.tryPin();
    });
    document.getElementById('pin-cancel').addEventListener('click', () => this.finish(false));
    this.dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      this.finish(false);
    });
    this.button.addEventListener('click', () => this.toggle());

    this.panelState = document.getElementById('pin-state');
    this.pinForm = document.getElementById('pin-set-form');
    this.newPin = document.getElementById('pin-new');
    this.repeat = document.getElementById('pin-repeat');
    this.pinMsg = document.getElementById('pin-set-msg');
    this.setButton = document.getElementById('pin-set');
    this.removeButton = document.getElementById('pin-remove');
    this.pinForm.addEventListener('submit', (e) => {
      e.preventDefault();
      this.setPin();
    });
    this.removeButton.addEventListener('click', () => this.removePin());
    api.onLocked((command) => this.ask(command));
  }

  /** Shows the lock as the app reports it. */
  show(view) {
    this.view = view;
    clearTimeout(this.expiry);
    if (view.pin_set && view.unlocked && view.unlocked_secs > 0) {
      // The app ends the unlock by itself; the button follows.
      this.expiry = setTimeout(() => this.show({ ...this.view, unlocked: false, unlocked_secs: 0 }),
        view.unlocked_secs * 1000);
    }
    this.button.hidden = !view.pin_set;
    this.button.textContent = view.unlocked ? t('lock.unlocked') : t('lock.locked');
    this.button.dataset.state = view.unlocked ? 'unlocked' : 'locked';
    this.button.title = view.unlocked
      ? t('lock.unlocked_title', { n: Math.max(1, Math.round(view.unlocked_secs / 60)) }) : t('lock.locked_title');
    this.panelState.textContent = view.pin_set ? t('pin.is_set') : t('pin.not_set');
    this.setButton.textContent = view.pin_set ? t('pin.change') : t('pin.set');
    this.removeButton.hidden = !view.pin_set;
  }

  /** Asks for the PIN (`command` says why); resolves true once this window is unlocked. */
  ask(command) {
    if (this.pending) return this.pending.promise;
    let resolve;
    const promise = new Promise((r) => { resolve = r; });
    this.pending = { promise, resolve };
    this.why.textContent = t(WHY.includes(command) ? `pin.why_${command}` : 'pin.why_other');
    this.input.value = '';
    fieldMessage(this.input, this.msg, '');
    // A wait the app still imposes is said at the first try.
    this.countdown(0);
    this.dialog.showModal();
    this.input.focus();
    return promise;
  }

  finish(unlocked) {
    if (this.dialog.open) this.dialog.close();
    clearInterval(this.ticker);
    const pending = this.pending;
    this.pending = null;
    pending?.resolve(unlocked);
  }

  async tryPin() {
    const pin = this.input.value;
    if (!pin) {
      fieldMessage(this.input, this.msg, t('pin.empty'), 'error');
      return;
    }
    this.submit.disabled = true;
    fieldMessage(this.input, this.msg, t('pin.checking'));
    try {
      this.show(await api.unlock(pin));
      toast(t('lock.unlocked'));
      this.finish(true);
    } catch (err) {
      this.submit.disabled = false;
      this.input.value = '';
      this.input.focus();
      if (err && err.reason === 'wrong_pin') {
        fieldMessage(this.input, this.msg, err.wait_secs ? t('pin.wrong_wait', { n: err.wait_secs }) : t('pin.wrong'), 'error');
        this.countdown(err.wait_secs);
      } else if (err && err.reason === 'wait') {
        this.countdown(err.wait_secs);
      } else {
        fieldMessage(this.input, this.msg, errorText(err), 'error');
      }
    }
  }

  /** Keeps the Unlock button off while the app makes wrong attempts wait. */
  countdown(secs) {
    clearInterval(this.ticker);
    this.view = { ...this.view, wait_secs: secs };
    if (!secs) {
      this.submit.disabled = false;
      return;
    }
    let left = secs;
    const tick = () => {
      if (left <= 0) {
        clearInterval(this.ticker);
        this.submit.disabled = false;
        fieldMessage(this.input, this.msg, '');
        this.view = { ...this.view, wait_secs: 0 };
        return;
      }
      this.submit.disabled = true;
      fieldMessage(this.input, this.msg, t('pin.wait', { n: left }), 'error');
      left -= 1;
    };
    tick();
    this.ticker = setInterval(tick, 1000);
  }

  /** The top bar's button: unlock, or lock again now. */
  async toggle() {
    if (this.view.unlocked) {
      this.show(await api.lock());
      toast(t('lock.locked'));
    } else {
      await this.ask('other');
    }
  }

  async setPin() {
    const pin = this.newPin.value;
    if (pin !== this.repeat.value) {
      fieldMessage(this.repeat, this.pinMsg, t('pin.mismatch'), 'error');
      return;
    }
    try {
      this.show(await api.setPin(pin));
      this.newPin.value = '';
      this.repeat.value = '';
      fieldMessage(this.repeat, this.pinMsg, t('pin.saved'), 'ok');
    } catch (err) {
      fieldMessage(this.newPin, this.pinMsg, errorText(err), 'error');
    }
  }

  async removePin() {
    try {
      this.show(await api.removePin());
      fieldMessage(null, this.pinMsg, t('pin.removed'), 'ok');
    } catch (err) {
      fieldMessage(null, this.pinMsg, errorText(err), 'error');
    }
  }
}
