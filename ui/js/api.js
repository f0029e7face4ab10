// The only module that talks to the app (window.__TAURI__): views call these functions.
// Commands resolve with their value or reject with the engine's message.

const tauri = window.__TAURI__;
const invoke = (cmd, args) => tauri.core.invoke(cmd, args);

/** The app's one event: {type: "engine" | "config" | "system_proxy" | "stats" | "requests", ...}. */
export const EVENT = 'wicket://event';

export const api = {
  status: () => invoke('status'),
  setEnabled: (on) => invoke('set_enabled', { on }),
  checkRule: (text) => invoke('check_rule', { text }),
  addRules: (entries) => invoke('add_rules', { entries }),
  removeRule: (rule) => invoke('remove_rule', { rule }),
  checkClient: (text) => invoke('check_client', { text }),
  addClients: (entries) => invoke('add_clients', { entries }),
  removeClient: (entry) => invoke('remove_client', { entry }),
  checkSettings: (input) => invoke('check_settings', { input }),
  saveSettings: (input) => invoke('save_settings', { input }),
  dismissProblem: () => invoke('dismiss_problem'),
  setSystemProxy: (on) => invoke('set_system_proxy', { on }),
  checkBypass: (text) => invoke('check_bypass', { text }),
  addBypass: (entries) => invoke('add_bypass', { entries }),
  removeBypass: (entry) => invoke('remove_bypass', { entry }),
  setAutostart: (on) => invoke('set_autostart', { on }),
  /** Calls `handler(event)` for every app event; resolves once listening. */
  onEvent: (handler) => tauri.event.listen(EVENT, (e) => handler(e.payload)),
};

/** A rejected command's message as text. */
export function errorText(err) {
  if (typeof err === 'string') return err;
  if (err && typeof err.message === 'string') return err.message;
  return JSON.stringify(err);
}
