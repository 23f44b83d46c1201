// Accounts: caps with usage, the next free slots, pauses, breakers and
// connector errors.
import { api } from './api.js';
import { el, formatTime, problemText } from './dom.js';
import { session } from './app.js';

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
