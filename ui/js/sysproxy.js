// Settings that apply at once: "Use as system proxy" (its state, what went wrong, what to do by
// hand) and "Start at login". The bypass list is a ListEditor wired in main.js.

import { api, errorText } from './api.js';
import { fieldMessage, toast } from './format.js';
import { say, sentence, t } from './i18n.js';

/** What the switch's state line says in each phase. */
function stateText(v) {
  switch (v.phase) {
    case 'on': return t('sysproxy.state_on', { platform: say(v.platform), address: v.address });
    case 'waiting': return t('sysproxy.state_waiting');
    case 'failed': return t('sysproxy.state_failed', { error: say(v.error) });
    case 'unavailable': return t('sysproxy.state_unavailable', { why: say(v.unavailable) });
    default:
      if (v.unavailable) return t('sysproxy.state_not_possible', { why: say(v.unavailable) });
      if (v.error) return sentence(v.error);
      return v.platform ? t('sysproxy.state_off', { platform: say(v.platform) }) : t('sysproxy.state_off_plain');
  }
}

export class SystemProxyPanel {
  constructor() {
    this.switch = document.getElementById('sysproxy');
    this.state = document.getElementById('sysproxy-state');
    this.notes = document.getElementById('sysproxy-notes');
    this.autostartSwitch = document.getElementById('autostart');
    this.autostartMsg = document.getElementById('autostart-msg');
    this.view = null;
    this.switch.addEventListener('click', () => this.toggle());
    this.autostartSwitch.addEventListener('click', () => this.toggleAutostart());
  }

  /** Shows the system proxy as the app reports it. */
  render(v) {
    this.view = v;
    this.switch.setAttribute('aria-checked', String(v.wanted));
    this.switch.dataset.phase = v.phase;
    const kind = v.phase === 'on' ? 'ok' : ['failed', 'unavailable'].includes(v.phase) || v.error ? 'error' : '';
    fieldMessage(null, this.state, stateText(v), kind);
    const shown = [...this.notes.children].map((li) => li.textContent);
    const notes = v.notes.map(sentence);
    if (JSON.stringify(shown) !== JSON.stringify(notes)) {
      this.notes.replaceChildren(...notes.map((text) => {
        const li = document.createElement('li');
        li.textContent = text;
        return li;
      }));
    }
    document.getElementById('sysproxy-address').textContent = v.address;
    document.getElementById('sysproxy-pac').textContent = v.pac_url;
  }

  async toggle() {
    if (this.switch.getAttribute('aria-busy') === 'true' || !this.view) return;
    this.switch.setAttribute('aria-busy', 'true');
    try {
      const v = await api.setSystemProxy(!this.view.wanted);
      this.render(v);
      if (v.phase === 'on') toast(t('sysproxy.toast_on'));
      else if (!v.wanted) toast(t('sysproxy.toast_off'));
    } catch (err) {
      fieldMessage(null, this.state, errorText(err), 'error');
    } finally {
      this.switch.removeAttribute('aria-busy');
    }
  }

  /** Shows "Start at login" as the OS has it. */
  autostart(a) {
    this.autostartSwitch.setAttribute('aria-checked', String(a.enabled));
    if (a.error) fieldMessage(null, this.autostartMsg, sentence(a.error), 'error');
    else fieldMessage(null, this.autostartMsg, a.enabled ? t('autostart.on') : '');
  }

  async toggleAutostart() {
    if (this.autostartSwitch.getAttribute('aria-busy') === 'true') return;
    const on = this.autostartSwitch.getAttribute('aria-checked') !== 'true';
    this.autostartSwitch.setAttribute('aria-busy', 'true');
    try {
      this.autostart(await api.setAutostart(on));
    } catch (err) {
      fieldMessage(null, this.autostartMsg, errorText(err), 'error');
    } finally {
      this.autostartSwitch.removeAttribute('aria-busy');
    }
  }
}
