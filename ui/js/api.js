// The only module that talks to the app (window.__TAURI__): views call these functions.
// Commands resolve with their value or reject with the engine's message. A command refused
// because the parent's PIN is needed ({locked, reason: 'locked'}) asks for the PIN through the
// handler given to `onLocked`, and runs again once the window is unlocked.

import { say } from './i18n.js';

const tauri = window.__TAURI__;

let askForPin = null;

async function invoke(cmd, args) {
  try {
    return await tauri.core.invoke(cmd, args);
  } catch (err) {
    if (err && err.reason === 'locked' && askForPin && (await askForPin(cmd))) {
      return tauri.core.invoke(cmd, args);
    }
    throw err;
  }
}

/** The app's one event: {type: "engine" | "config" | "system_proxy" | "stats" | "requests" |
 * "lists_now" | "parent_needed", ...}. */
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
  setLanguage: (language) => invoke('set_language', { language }),
  // The parent's PIN.
  unlock: (pin) => tauri.core.invoke('unlock', { pin }),
  lock: () => invoke('lock'),
  setPin: (pin) => invoke('set_pin', { pin }),
  removePin: () => invoke('remove_pin'),
  quit: () => invoke('quit'),
  // Named lists and their schedules.
  createList: (name) => invoke('create_list', { name }),
  renameList: (name, to) => invoke('rename_list', { name, to }),
  deleteList: (name) => invoke('delete_list', { name }),
  setListEnabled: (name, on) => invoke('set_list_enabled', { name, on }),
  listRules: (name, query) => invoke('list_rules', { name, query }),
  addListRules: (name, entries) => invoke('add_list_rules', { name, entries }),
  removeListRule: (name, rule) => invoke('remove_list_rule', { name, rule }),
  checkWindow: (text) => invoke('check_window', { text }),
  addListWindows: (name, entries) => invoke('add_list_windows', { name, entries }),
  removeListWindow: (name, entry) => invoke('remove_list_window', { name, entry }),
  importChunk: (importId, firstLine, text) => invoke('import_chunk', { importId, firstLine, text }),
  importCommit: (importId, list, create) => invoke('import_commit', { importId, list, create }),
  // Allow-only browsing.
  setAllowOnly: (on) => invoke('set_allow_only', { on }),
  addAllowedSites: (entries) => invoke('add_allowed_sites', { entries }),
  removeAllowedSite: (site) => invoke('remove_allowed_site', { site }),
  // History and the tamper log.
  history: (day) => invoke('history', { day }),
  exportHistory: (day) => invoke('export_history', { day }),
  setHistoryDays: (days) => invoke('set_history_days', { days }),
  /** Calls `handler(event)` for every app event; resolves once listening. */
  onEvent: (handler) => tauri.event.listen(EVENT, (e) => handler(e.payload)),
  /** `handler(command)` asks the parent for the PIN; resolves true once unlocked. */
  onLocked: (handler) => { askForPin = handler; },
};

/** A rejected command's message as text, in the window's language. */
export function errorText(err) {
  if (typeof err === 'string') return err;
  if (err && err.locked) return say(err.locked);
  if (err && typeof err.en === 'string') return say(err);
  if (err && typeof err.message === 'string') return err.message;
  return JSON.stringify(err);
}
