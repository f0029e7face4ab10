// The parent's PIN in the window: the dialog that asks for it (whenever a command is refused
// because it needs it), the lock button in the top bar, and the PIN panel in Settings. The
// check itself is in the app: this only asks and shows.

import { api, errorText } from './api.js';
import { fieldMessage, toast } from './format.js';

/** Every text of the PIN dialog, the lock button and the PIN panel. */
const TEXT = {
  why: {
    set_enabled: 'Enter the PIN to switch the proxy off.',
    set_system_proxy: 'Enter the PIN to stop using Wicket as the system proxy.',
    quit: 'Enter the PIN to quit Wicket.',
    history: 'Enter the PIN to see the history.',
    export_history: 'Enter the PIN to export the history.',
    set_pin: 'Enter the current PIN to change it.',
    remove_pin: 'Enter the PIN to remove it.',
    other: 'Enter the PIN to change Wicket’s settings.',
  },
  title: 'Parent’s PIN',
  wrong: 'Wrong PIN.',
  wrongWait: (secs) => `Wrong PIN. Wait ${secs} s before the next try.`,
  wait: (secs) => `Too many wrong attempts. Try again in ${secs} s.`,
  empty: 'Type the PIN first.',
  checking: 'Checking…',
  locked: 'Locked',
  unlocked: 'Unlocked',
  lockTitle: 'Changes need the parent’s PIN. Click to unlock.',
  unlockedTitle: (minutes) => `Unlocked for about ${minutes} min. Click to lock now.`,
  lockedNow: 'Locked',
  unlockedToast: 'Unlocked',
  noPin: 'No PIN is set: anyone using this computer can switch Wicket off or change it.',
  pinSet: 'A PIN is set: switching protection off, quitting, changing lists, schedules and settings, and seeing the history need it.',
  setButton: 'Set PIN',
  changeButton: 'Change PIN',
  mismatch: 'The two PINs are not the same.',
  saved: 'PIN saved. This window stays unlocked for a few minutes.',
  removed: 'PIN removed.',
};

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
    this.button.textContent = view.unlocked ? TEXT.unlocked : TEXT.locked;
    this.button.dataset.state = view.unlocked ? 'unlocked' : 'locked';
    this.button.title = view.unlocked ? TEXT.unlockedTitle(Math.max(1, Math.round(view.unlocked_secs / 60))) : TEXT.lockTitle;
    this.panelState.textContent = view.pin_set ? TEXT.pinSet : TEXT.noPin;
    this.setButton.textContent = view.pin_set ? TEXT.changeButton : TEXT.setButton;
    this.removeButton.hidden = !view.pin_set;
  }

  /** Asks for the PIN (`command` says why); resolves true once this window is unlocked. */
  ask(command) {
    if (this.pending) return this.pending.promise;
    let resolve;
    const promise = new Promise((r) => { resolve = r; });
    this.pending = { promise, resolve };
    this.why.textContent = TEXT.why[command] || TEXT.why.other;
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
      fieldMessage(this.input, this.msg, TEXT.empty, 'error');
      return;
    }
    this.submit.disabled = true;
    fieldMessage(this.input, this.msg, TEXT.checking);
    try {
      this.show(await api.unlock(pin));
      toast(TEXT.unlockedToast);
      this.finish(true);
    } catch (err) {
      this.submit.disabled = false;
      this.input.value = '';
      this.input.focus();
      if (err && err.reason === 'wrong_pin') {
        fieldMessage(this.input, this.msg, err.wait_secs ? TEXT.wrongWait(err.wait_secs) : TEXT.wrong, 'error');
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
      fieldMessage(this.input, this.msg, TEXT.wait(left), 'error');
      left -= 1;
    };
    tick();
    this.ticker = setInterval(tick, 1000);
  }

  /** The top bar's button: unlock, or lock again now. */
  async toggle() {
    if (this.view.unlocked) {
      this.show(await api.lock());
      toast(TEXT.lockedNow);
    } else {
      await this.ask('other');
    }
  }

  async setPin() {
    const pin = this.newPin.value;
    if (pin !== this.repeat.value) {
      fieldMessage(this.repeat, this.pinMsg, TEXT.mismatch, 'error');
      return;
    }
    try {
      this.show(await api.setPin(pin));
      this.newPin.value = '';
      this.repeat.value = '';
      fieldMessage(this.repeat, this.pinMsg, TEXT.saved, 'ok');
    } catch (err) {
      fieldMessage(this.newPin, this.pinMsg, errorText(err), 'error');
    }
  }

  async removePin() {
    try {
      this.show(await api.removePin());
      fieldMessage(null, this.pinMsg, TEXT.removed, 'ok');
    } catch (err) {
      fieldMessage(null, this.pinMsg, errorText(err), 'error');
    }
  }
}
