// Boots the window: loads the app's status and its language, puts the texts in place, routes
// the tabs, drives the on/off switch and the notices, and hands the app's events to the views.

import { api, errorText } from './api.js';
import { Dashboard } from './dashboard.js';
import { ListEditor } from './entries.js';
import { toast } from './format.js';
import { HistoryView } from './history.js';
import { say, sentence, t, translate, useLanguage } from './i18n.js';
import { Importer } from './import.js';
import { ListsView, renderListsNow } from './lists.js';
import { ParentLock } from './lock.js';
import { Settings } from './settings.js';
import { SystemProxyPanel } from './sysproxy.js';

// The views, made once the page speaks the app's language (see boot).
let dashboard;
let settings;
let parentLock;
let lists;
let importer;
let historyView;
let blocklist;
let allowlist;
let bypass;
let systemProxy;

function createViews() {
  dashboard = new Dashboard();
  settings = new Settings();
  parentLock = new ParentLock();
  lists = new ListsView();
  importer = new Importer();
  historyView = new HistoryView();
  blocklist = new ListEditor(document.getElementById('blocklist-editor'), {
    check: api.checkRule,
    add: api.addRules,
    remove: api.removeRule,
    entries: (c) => c.block,
    noun: 'count.rules',
    typeFirst: 'editor.type_site',
  });
  allowlist = new ListEditor(document.getElementById('allowlist-editor'), {
    check: api.checkClient,
    add: api.addClients,
    remove: api.removeClient,
    entries: (c) => c.allow_clients,
    noun: 'count.entries',
    typeFirst: 'editor.type_address',
  });
  bypass = new ListEditor(document.getElementById('bypass-editor'), {
    check: api.checkBypass,
    add: api.addBypass,
    remove: api.removeBypass,
    entries: (c) => c.bypass,
    noun: 'count.entries',
    typeFirst: 'editor.type_address',
  });
  systemProxy = new SystemProxyPanel();
  lists.changed = applyConfig;
  importer.changed = applyConfig;
  document.getElementById('lock-button').addEventListener('click', () => {
    // Locking again hides the history.
    if (parentLock.view.unlocked) historyView.hide();
  });
}

const power = document.getElementById('power');
const powerState = document.getElementById('power-state');

/** What the window knows of the app. */
const app = { config: null, engine: { state: 'stopped' }, problem: null, systemProxy: null, recoveredSeen: false };

// Tabs ---------------------------------------------------------------------------------------

const tabs = [...document.querySelectorAll('[role="tab"]')];

function showView(name, focus = false) {
  for (const tab of tabs) {
    const selected = tab.dataset.view === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    document.getElementById(tab.getAttribute('aria-controls')).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  if (name === 'dashboard') dashboard?.chart.draw();
  if (name === 'history' && document.body.dataset.ready === 'true') historyView.load();
}

for (const tab of tabs) {
  tab.addEventListener('click', () => showView(tab.dataset.view));
  tab.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    showView(tabs[(next + tabs.length) % tabs.length].dataset.view, true);
  });
}

// The switch ---------------------------------------------------------------------------------

function renderPower() {
  const { engine, config } = app;
  const running = engine.state === 'running';
  power.setAttribute('aria-checked', String(running));
  powerState.classList.toggle('on', running);
  powerState.classList.toggle('error', engine.state === 'failed' && config?.enabled);
  if (running) {
    powerState.textContent = t('power.on', { address: engine.address });
  } else if (engine.state === 'failed' && config?.enabled) {
    powerState.textContent = t('power.failed', { error: say(engine.error) });
  } else if (config?.enabled) {
    powerState.textContent = t('power.starting');
  } else {
    powerState.textContent = t('power.off');
  }
  power.title = running ? t('power.turn_off') : t('power.turn_on');
}

power.addEventListener('click', async () => {
  if (power.getAttribute('aria-busy') === 'true') return;
  const on = app.engine.state !== 'running';
  power.setAttribute('aria-busy', 'true');
  try {
    applyConfig(await api.setEnabled(on));
  } catch (err) {
    toast(errorText(err));
  } finally {
    power.removeAttribute('aria-busy');
  }
});

// Notices ------------------------------------------------------------------------------------

let shownNotices = '';

function renderNotices() {
  // Redraw only when they change: each is an alert, announced again when redrawn.
  const sp = app.systemProxy;
  const key = JSON.stringify([app.problem, app.config?.save_error, sp?.phase, sp?.error, sp?.unavailable,
    sp?.wanted, app.recoveredSeen ? null : sp?.recovered]);
  if (key === shownNotices) return;
  shownNotices = key;
  const notices = document.getElementById('notices');
  const items = [];
  const problem = app.problem;
  if (problem) {
    const place = problem.line
      ? t('notice.config_at', { path: problem.path, line: problem.line, column: problem.column })
      : problem.path;
    const kept = problem.kept_as
      ? t('notice.config_kept', { path: problem.kept_as })
      : t('notice.config_defaults');
    items.push(notice('error', 'config-problem', t('notice.config_title'),
      `${t('notice.config_text', { place, message: problem.message })} ${kept}`, async () => {
        await api.dismissProblem();
        app.problem = null;
        renderNotices();
      }));
  }
  if (app.config?.save_error) {
    items.push(notice('warning', 'save-problem', t('notice.not_saved'), sentence(app.config.save_error)));
  }
  if (sp) {
    const byHand = ` ${t('notice.by_hand', { address: sp.address, pac: sp.pac_url })}`;
    const said = (m) => t('notice.sentence', { text: sentence(m) });
    if (sp.error && sp.wanted) {
      items.push(notice('error', 'system-proxy-problem', t('notice.sysproxy_not_set'), said(sp.error) + byHand));
    } else if (sp.error) {
      items.push(notice('error', 'system-proxy-problem', t('notice.sysproxy_not_restored'), sentence(sp.error)));
    } else if (sp.phase === 'unavailable') {
      items.push(notice('warning', 'system-proxy-problem', t('notice.sysproxy_unavailable'), said(sp.unavailable) + byHand));
    }
    if (sp.recovered && !app.recoveredSeen) {
      items.push(notice('info', 'system-proxy-recovered', t('notice.sysproxy_recovered'), say(sp.recovered), () => {
        app.recoveredSeen = true;
        renderNotices();
      }));
    }
  }
  notices.replaceChildren(...items);
}

function notice(kind, id, title, text, dismiss) {
  const div = document.createElement('div');
  div.className = `notice ${kind}`;
  div.id = id;
  div.setAttribute('role', 'alert');
  const p = document.createElement('p');
  const strong = document.createElement('strong');
  strong.textContent = title;
  p.append(strong, text);
  div.append(p);
  if (dismiss) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = t('common.dismiss');
    button.addEventListener('click', dismiss);
    div.append(button);
  }
  return div;
}

// State from the app -------------------------------------------------------------------------

function applyConfig(config, path) {
  app.config = config;
  lists.config(config);
  importer.config(config);
  renderListsNow(config);
  blocklist.update(config);
  allowlist.update(config);
  bypass.update(config);
  settings.config(config, path);
  dashboard.config(config);
  document.getElementById('blocklist-badge').textContent = String(config.block.length);
  const warnings = document.getElementById('allow-warnings');
  const shown = [...warnings.children].map((p) => p.textContent);
  const wanted = config.allowlist_warnings.map(say);
  if (JSON.stringify(shown) !== JSON.stringify(wanted)) {
    warnings.replaceChildren(...wanted.map((text) => {
      const p = document.createElement('p');
      p.className = 'warning';
      p.textContent = text;
      return p;
    }));
  }
  renderPower();
  renderNotices();
  settings.engine(app.engine, config.enabled);
}

function applySystemProxy(view) {
  app.systemProxy = view;
  systemProxy.render(view);
  renderNotices();
}

function applyEngine(state) {
  app.engine = state;
  renderPower();
  settings.engine(state, app.config?.enabled);
}

/** Which lists block now changed (a schedule moved on). */
function applyListsNow(now) {
  if (!app.config) return;
  for (const list of app.config.lists) {
    const found = now.find((n) => n.name === list.name);
    if (found) list.in_force = found.in_force;
  }
  lists.listsNow(now);
  renderListsNow(app.config);
}

/** The tray asked for something that needs the PIN: the app asks for it, then it is done. */
async function parentAction(action) {
  try {
    if (action === 'quit') await api.quit();
    else if (action === 'proxy_off') applyConfig(await api.setEnabled(false));
    else if (action === 'system_proxy_off') applySystemProxy(await api.setSystemProxy(false));
  } catch (err) {
    toast(errorText(err));
  }
}

function dispatch(event) {
  switch (event.type) {
    case 'lists_now': applyListsNow(event.lists); break;
    case 'parent_needed': parentAction(event.action); break;
    case 'engine': applyEngine(event.state); break;
    case 'config': applyConfig(event.config); break;
    case 'system_proxy': applySystemProxy(event.system_proxy); break;
    case 'stats': dashboard.stats(event.stats); break;
    case 'requests': dashboard.log.add(event.first, event.records, event.missed); break;
    default: console.warn('unknown event', event);
  }
}

async function boot() {
  // Listen first, apply the status, then the events that came in meanwhile (the views skip
  // what the status already had).
  const early = [];
  let ready = false;
  await api.onEvent((event) => (ready ? dispatch(event) : early.push(event)));
  const status = await api.status();
  await useLanguage(status.config.lang);
  translate();
  createViews();
  const views = tabs.map((tab) => tab.dataset.view);
  const wanted = location.hash.slice(1);
  showView(views.includes(wanted) ? wanted : 'dashboard');
  app.problem = status.problem;
  app.engine = status.engine;
  applyConfig(status.config, status.config_path);
  applySystemProxy(status.system_proxy);
  parentLock.show(status.lock);
  systemProxy.autostart(status.autostart);
  dashboard.stats(status.stats);
  dashboard.log.reset(status.recent, status.recent_last_seq);
  ready = true;
  early.forEach(dispatch);
  document.body.dataset.ready = 'true';
  if (location.hash === '#history') historyView.load();
  if (status.pending) parentAction(status.pending);
}

boot().catch((err) => {
  document.body.dataset.ready = 'error';
  toast(t('app.unreachable', { error: errorText(err) }));
  console.error(err);
});
