// The console's shell: sign-in, navigation between views, and live updates.
import { api, token, ApiError } from './api.js';
import { el, toast } from './dom.js';
import { planView } from './plan.js';
import { composeView } from './compose.js';
import { approvalsView } from './approvals.js';
import { accountsView } from './accounts.js';
import { inboxView } from './inbox.js';
import { auditView, policyView } from './records.js';

const VIEWS = { plan: planView, compose: composeView, approvals: approvalsView, inbox: inboxView, accounts: accountsView, audit: auditView, policy: policyView };
const POLL_MS = 4000;

// What every view may read: the caller and its organisation's accounts.
export const session = { me: null, accounts: [], refresh: null };

const $ = (id) => document.getElementById(id);

function showSignIn(message) {
  token.clear();
  session.me = null;
  $('nav').hidden = true;
  $('who').hidden = true;
  $('view').replaceChildren();
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message || '';
  $('token').focus();
}

async function signIn() {
  try {
    session.me = await api('/v1/me');
    session.accounts = (await api('/v1/accounts')).items;
  } catch (err) {
    showSignIn(err instanceof ApiError && err.status === 401 ? 'That token is not valid here.' : `Cannot sign in: ${err.message}`);
    return;
  }
  $('sign-in').hidden = true;
  $('nav').hidden = false;
  $('who').hidden = false;
  const { name, role, organization } = session.me;
  $('who-text').textContent = `${name} · ${role} · ${organization}`;
  for (const a of document.querySelectorAll('#nav a')) {
    const managerOnly = a.dataset.view === 'approvals';
    const editorOnly = a.dataset.view === 'compose';
    a.hidden = (managerOnly && !isManager()) || (editorOnly && role === 'viewer');
  }
  await route();
}

export const isManager = () => session.me && (session.me.role === 'manager' || session.me.role === 'admin');
export const canEdit = (post) => session.me && (isManager() || (session.me.role === 'editor' && post.author === session.me.name));
export const accountById = (id) => session.accounts.find((a) => a.id === id);

let current = null;
let routeSeq = 0;

async function route() {
  if (!session.me) return;
  const name = (location.hash.slice(1).split('?')[0]) || 'plan';
  const view = VIEWS[name] || planView;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  // Each navigation renders into its own container, so a slow view that
  // finishes after the user moved on draws into a detached one.
  const seq = ++routeSeq;
  const root = el('div', { class: 'page', dataset: { view: name } }, el('p', { class: 'muted' }, 'Loading…'));
  $('view').replaceChildren(root);
  current = name;
  session.refresh = null;
  try {
    const refresh = await view(root);
    if (seq === routeSeq) session.refresh = refresh;
    root.dataset.ready = 'true';
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showSignIn('The token is no longer valid.');
    root.replaceChildren(el('p', { class: 'error', role: 'alert' }, `Cannot show ${name}: ${err.message}`));
  }
  document.title = `herald · ${name}`;
}

// Live updates: every few seconds, one conditional request for the newest
// audit entries. Every change of a post is audited, so an unchanged answer
// (304, no body) means nothing moved; a changed one refreshes the view.
let since = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
async function poll() {
  if (!session.me || document.hidden) return;
  const path = `/v1/audit?from=${encodeURIComponent(since)}&limit=200`;
  try {
    const page = await api(path, { conditional: true });
    if (page === null) return;
    const items = page.items;
    if (items.length) {
      since = items[items.length - 1].at;
      session.accounts = (await api('/v1/accounts')).items;
      if (session.refresh) await session.refresh();
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showSignIn('The token is no longer valid.');
  }
}

$('sign-in').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = $('token').value.trim();
  $('token').value = '';
  if (!value) return;
  token.set(value);
  signIn();
});
$('sign-out').addEventListener('click', () => showSignIn('Signed out.'));
window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (e) => toast(String(e.reason?.message || e.reason), true));
setInterval(poll, POLL_MS);

if (token.get()) signIn(); else showSignIn();
export { current };
