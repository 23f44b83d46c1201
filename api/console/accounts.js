// Accounts: caps with usage, the next free slots, pauses, breakers,
// connector errors, and how each account is connected (a manager connects an
// OAuth account, or connects it again, from here).
import { api } from './api.js';
import { el, formatTime, problemText, toast } from './dom.js';
import { isManager, session } from './app.js';

const CONNECTION_TEXT = {
  connected: 'Connected',
  not_connected: 'Not connected yet',
  needs_reconnect: 'Needs reconnecting',
  expires_soon: 'Expires soon',
  expired: 'Expired',
};

// POST /v1/accounts/{id}/connect, then off to the platform's authorization
// page; the platform sends the browser back to herald's callback, which links
// back here.
async function connect(account, button) {
  button.disabled = true;
  try {
    const started = await api(`/v1/accounts/${encodeURIComponent(account.id)}/connect`, { method: 'POST' });
    window.location.assign(started.authorization_url);
  } catch (err) {
    button.disabled = false;
    toast(problemText(err), true);
  }
}

function connection(account) {
  const c = account.connection;
  if (!c) return el('p', { class: 'muted connection', dataset: { state: 'static' } }, 'Credentials from the policy (not connected by OAuth)');
  const healthy = c.state === 'connected';
  const text = `${CONNECTION_TEXT[c.state] || c.state}` + (c.expires_at ? ` · token expires ${formatTime(c.expires_at)}` : '');
  const parts = [el('span', { class: healthy ? 'ok' : 'error' }, text)];
  if (c.why) parts.push(el('span', { class: 'muted' }, ` (${c.why})`));
  if (isManager()) {
    const label = c.state === 'not_connected' ? 'Connect' : 'Reconnect';
    const button = el('button', { type: 'button', class: healthy ? '' : 'primary' }, label);
    button.addEventListener('click', () => connect(account, button));
    parts.push(' ', button);
  }
  return el('p', { class: 'connection', dataset: { state: c.state } }, parts);
}

function usage(u) {
  return el('div', { class: 'cap' }, el('span', {}, `${u.rule}: ${u.used} of ${u.max}`),
    el('meter', { min: 0, max: u.max, value: u.used, high: Math.max(u.max - 1, 0.5), optimum: 0, 'aria-label': u.rule }));
}

async function slots(account) {
  try {
    const s = (await api(`/v1/accounts/${encodeURIComponent(account.id)}/slots?count=5`)).slots;
    if (!s.length) return el('p', { class: 'muted' }, 'No free slot soon.');
    return el('ol', { class: 'slots' }, s.map((t) => el('li', {}, `${formatTime(t)} (yours) · ${formatTime(t, account.timezone)} ${account.timezone}`)));
  } catch (err) {
    return el('p', { class: 'error' }, problemText(err));
  }
}

export async function accountsView(root) {
  const refresh = async () => {
    session.accounts = (await api('/v1/accounts')).items;
    const cards = await Promise.all(session.accounts.map(async (a) => {
      const failed = (a.posts_by_state.failed || 0) + (a.posts_by_state.unconfirmed || 0);
      return el('article', { class: 'panel', dataset: { id: a.id } },
        el('h3', {}, a.id), el('p', { class: 'muted' }, `${a.platform} · ${a.handle} · ${a.timezone}`),
        el('h4', {}, 'Caps'), el('div', { class: 'usage' }, a.usage.map(usage)),
        el('h4', {}, 'Next free slots'), await slots(a),
        el('h4', {}, 'Connector'),
        el('p', {}, `${a.connector.type} · account breaker ${a.connector.breaker} · connector breaker ${a.connector.connector_breaker}`),
        connection(a),
        a.paused ? el('p', { class: 'error' }, `Paused until ${formatTime(a.paused.until)} (${a.paused.rule}): ${a.paused.why}`)
          : el('p', { class: 'ok' }, 'Not paused'),
        el('p', { class: failed ? 'error' : 'muted' }, `${failed} failed or unconfirmed publishes`),
        el('p', { class: 'muted' }, Object.entries(a.posts_by_state).map(([s, n]) => `${s} ${n}`).join(' · ') || 'no posts'));
    }));
    root.replaceChildren(el('h2', {}, 'Accounts'), el('div', { class: 'accounts' }, cards));
  };
  await refresh();
  return refresh;
}
