// Settings: listen address and port, CONNECT ports, upstream timeout, checked by the app as
// typed (saving a new address or port moves the listener at once); and the language.

import { api, errorText } from './api.js';
import { debounce, fieldMessage, toast } from './format.js';
import { language, say, t } from './i18n.js';

const FIELDS = {
  address: 'set-address',
  port: 'set-port',
  connect_ports: 'set-connect-ports',
  timeout_secs: 'set-timeout',
};

export class Settings {
  constructor() {
    this.form = document.getElementById('settings-form');
    this.msg = document.getElementById('settings-msg');
    this.inputs = Object.fromEntries(Object.entries(FIELDS).map(([k, id]) => [k, document.getElementById(id)]));
    this.saved = null;
    this.dirty = false;
    const check = debounce(() => this.check(), 150);
    for (const input of Object.values(this.inputs)) {
      input.addEventListener('input', () => {
        this.dirty = true;
        check();
      });
    }
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
    this.language = document.getElementById('set-language');
    this.languageMsg = document.getElementById('set-language-msg');
    this.language.addEventListener('change', () => this.setLanguage());
    this.form.addEventListener('reset', (e) => {
      e.preventDefault();
      this.dirty = false;
      this.fill(this.saved);
      this.showErrors({});
      this.msg.textContent = '';
    });
  }

  values() {
    return Object.fromEntries(Object.entries(this.inputs).map(([k, input]) => [k, input.value]));
  }

  fill(c) {
    if (!c) return;
    this.inputs.address.value = c.address;
    this.inputs.port.value = String(c.port);
    this.inputs.connect_ports.value = c.connect_ports;
    this.inputs.timeout_secs.value = String(c.timeout_secs);
  }

  /** A new config: shown unless the user is editing the form. */
  config(c, path) {
    this.saved = c;
    if (!this.dirty) this.fill(c);
    this.language.value = c.language ?? 'auto';
    if (path !== undefined) {
      document.getElementById('config-path').textContent = path ? t('settings.saved_in', { path }) : t('settings.not_saved');
    }
  }

  /** Another language: the app saves it (the tray follows), then the window speaks it. */
  async setLanguage() {
    try {
      const config = await api.setLanguage(this.language.value);
      if (config.lang !== language()) {
        location.reload();
        return;
      }
      this.config(config);
      fieldMessage(this.language, this.languageMsg, t('settings.saved'), 'ok');
    } catch (err) {
      this.language.value = this.saved?.language ?? 'auto';
      fieldMessage(this.language, this.languageMsg, errorText(err), 'error');
    }
  }

  /** The engine's state, for a listener that could not start on the chosen port. */
  engine(state, enabled) {
    if (state.state === 'failed' && enabled) {
      const error = say(state.error);
      // A save that ended in this failure has already said it, with "Saved" before it.
      if (!this.msg.textContent.endsWith(error)) fieldMessage(null, this.msg, error, 'error');
    } else if (this.msg.classList.contains('error') && !this.hasFieldErrors) {
      fieldMessage(null, this.msg, '');
    }
  }

  showErrors(errors) {
    this.hasFieldErrors = Object.keys(errors).length > 0;
    for (const [key, input] of Object.entries(this.inputs)) {
      const msg = document.getElementById(`${FIELDS[key]}-msg`);
      fieldMessage(input, msg, say(errors[key]), errors[key] ? 'error' : '');
    }
  }

  async check() {
    try {
      this.showErrors(await api.checkSettings(this.values()));
    } catch (err) {
      fieldMessage(null, this.msg, errorText(err), 'error');
    }
  }

  async save() {
    try {
      const { config, engine } = await api.saveSettings(this.values());
      this.showErrors({});
      this.dirty = false;
      this.config(config);
      if (config.enabled && engine.state === 'failed') {
        // Saved, but the listener could not start there (a port in use): that is the news.
        const text = t('settings.saved_not_listening', { error: say(engine.error) });
        fieldMessage(null, this.msg, text, 'error');
        toast(text);
        return;
      }
      fieldMessage(null, this.msg, t('settings.saved'), 'ok');
      toast(config.enabled ? t('settings.saved_listening', { address: config.listen }) : t('settings.saved'));
    } catch (err) {
      if (err && typeof err === 'object' && !Array.isArray(err) && !err.locked) {
        this.showErrors(err);
        const first = Object.keys(FIELDS).find((k) => err[k]);
        if (first) this.inputs[first].focus();
        fieldMessage(null, this.msg, t('settings.fix_fields'), 'error');
      } else {
        fieldMessage(null, this.msg, errorText(err), 'error');
      }
    }
  }
}
