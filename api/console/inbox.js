// The inbox: what people wrote to the accounts, by department, with assign,
// dismiss, reopen and a reply written in place. The server decides who may
// read and answer each department (`may_answer`); its refusals are shown as
// they come. A reply is a post: it passes the content rules and may wait for
// approval, which the item then shows.
import { api } from './api.js';
import { el, field, formatTime, problemText, toast } from './dom.js';
import { LIMITS, UNIT_NAMES, countLength } from './text.js';
import { session, accountById } from './app.js';

const STATES = { todo: 'To do (open and assigned)', open: 'Open', assigned: 'Assigned', answered: 'Answered', dismissed: 'Dismissed', all: 'All' };
const filters = { state: 'todo', department: '', overdue: false };
const drafts = new Map();  // item id -> { text, key }: kept across refreshes

function query(state) {
  const q = new URLSearchParams({ limit: '200' });
  if (state) q.set('state', state);
  if (filters.department) q.set('department', filters.department);
  if (filters.overdue) q.set('overdue', 'true');
  return '/v1/inbox?' + q.toString();
}

// Every page of one state (or all), up to 1,000 items.
async function pages(state) {
  const out = [];
  let cursor = null;
  do {
    const page = await api(query(state) + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < 1000);
  return out;
}

// "To do" is open and assigned together, newest first as the API lists.
async function items() {
  if (filters.state === 'all') return pages(null);
  if (filters.state !== 'todo') return pages(filters.state);
  const [open, assigned] = await Promise.all([pages('open'), pages('assigned')]);
  return [...open, ...assigned].sort((a, b) => b.id - a.id);
}

// Only the platform's own https/http links, opened without a referrer.
function platformLink(url) {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    return el('a', { href: u.href, target: '_blank', rel: 'noopener noreferrer' }, 'Open on the platform');
  } catch {
    return null;
  }
}

function replyState(item) {
  if (!item.reply) return null;
  const r = item.reply;
  const text = r.failure ? `Reply ${r.post_id}: ${r.state} — ${r.failure}` : `Reply ${r.post_id}: ${r.state.replace('_', ' ')}`;
  return el('p', { class: r.failure ? 'reply-state error' : 'reply-state', dataset: { state: r.state } }, text);
}

function counterFor(item, textarea, counter) {
  const rules = LIMITS[accountById(item.account)?.platform] || [];
  const update = () => {
    counter.replaceChildren();
    counter.classList.remove('over');
    for (const rule of rules) {
      const n = countLength(textarea.value, rule);
      if (n > rule.max) counter.classList.add('over');
      counter.append(`${n} / ${rule.max} ${UNIT_NAMES[rule.unit]} `);
    }
  };
  textarea.addEventListener('input', update);
  update();
}

function replyForm(item, refresh, status) {
  const draft = drafts.get(item.id) || { text: '', key: crypto.randomUUID() };
  drafts.set(item.id, draft);
  const textarea = el('textarea', { rows: 2, 'aria-label': `Reply to item ${item.id}`, placeholder: 'Write a reply, sent in the thread on the platform',
    oninput: (e) => { draft.text = e.target.value; } });
  textarea.value = draft.text;
  const counter = el('p', { class: 'counter', 'aria-live': 'polite' });
  counterFor(item, textarea, counter);
  const send = async (e) => {
    e.preventDefault();
    if (!textarea.value.trim()) return;
    e.submitter?.setAttribute('disabled', '');
    try {
      // One key per draft: a second click, or a retry after a lost answer,
      // gets the first reply back instead of sending another.
      const post = await api(`/v1/inbox/${item.id}/reply`, { method: 'POST', body: { text: textarea.value }, headers: { 'Idempotency-Key': draft.key } });
      drafts.delete(item.id);
      toast(post.state === 'pending_approval' ? `Reply ${post.id} waits for approval` : `Reply ${post.id} ${post.state}: ${post.decision.summary}`);
      await refresh();
    } catch (err) {
      // Refused: nothing was kept, so the next try is a new reply.
      draft.key = crypto.randomUUID();
      status.className = 'error';
      status.textContent = problemText(err);
      e.submitter?.removeAttribute('disabled');
    }
  };
  return el('form', { class: 'reply', onsubmit: send }, textarea, counter,
    el('button', { type: 'submit', class: 'primary' }, item.state === 'answered' ? 'Send a follow-up' : 'Send reply'));
}

function row(item, refresh) {
  const status = el('p', { role: 'status' });
  const act = (what, body, done) => async () => {
    try {
      await api(`/v1/inbox/${item.id}/${what}`, { method: 'POST', body });
      toast(`Item ${item.id} ${done}`);
      await refresh();
    } catch (err) {
      status.className = 'error';
      status.textContent = problemText(err);
    }
  };
  const actions = [];
  if (item.may_answer && (item.state === 'open' || item.state === 'assigned')) {
    if (item.assignee !== session.me.name) actions.push(el('button', { type: 'button', onclick: act('assign', { to: session.me.name }, `assigned to ${session.me.name}`) }, 'Assign to me'));
    actions.push(el('button', { type: 'button', onclick: act('dismiss', {}, 'dismissed') }, 'Dismiss'));
  }
  if (item.may_answer && item.state === 'dismissed') actions.push(el('button', { type: 'button', onclick: act('reopen', undefined, 'reopened') }, 'Reopen'));
  const who = item.author_name ? `${item.author_name} (${item.author})` : item.author;
  return el('article', { class: `panel inbox-item${item.overdue ? ' overdue' : ''}`, dataset: { id: item.id, state: item.state } },
    el('h3', {}, `${who} · ${item.kind} · ${item.account}`),
    el('p', { class: 'text' }, item.text),
    el('p', { class: 'muted' },
      el('span', { class: `state i-${item.state}` }, item.state), ' ',
      `${item.department} · written ${formatTime(item.created_at)}`,
      item.assignee ? ` · assigned to ${item.assignee}` : '',
      item.state === 'open' || item.state === 'assigned' ? ` · answer by ${formatTime(item.due_at)}` : '',
      item.overdue ? el('strong', { class: 'overdue-flag' }, ' · overdue') : '', ' ',
      item.url ? platformLink(item.url) : ''),
    replyState(item),
    actions.length ? el('div', { class: 'actions' }, actions) : null,
    item.may_answer && item.state !== 'dismissed' ? replyForm(item, refresh, status) : null,
    item.may_answer ? null : el('p', { class: 'muted' }, `Only those who answer for ${item.department} may handle it.`),
    status);
}

export async function inboxView(root) {
  const list = el('div', { class: 'inbox-list' });
  const heading = el('h2', {}, 'Inbox');
  const render = async () => {
    let found;
    try {
      found = await items();
    } catch (err) {
      list.replaceChildren(el('p', { class: 'error', role: 'alert' }, problemText(err)));
      return;
    }
    const overdue = found.filter((i) => i.overdue).length;
    heading.textContent = `Inbox · ${found.length} ${STATES[filters.state].toLowerCase()}${overdue ? ` · ${overdue} overdue` : ''}`;
    list.replaceChildren(...(found.length ? found.map((i) => row(i, render)) : [el('p', { class: 'muted' }, 'Nothing here.')]));
  };
  // The console's live update does not redraw under someone typing a reply
  // (the draft would survive, the cursor would not); the Refresh button does.
  const refresh = async () => {
    if (document.activeElement?.closest?.('form.reply')) return;
    await render();
  };
  const state = el('select', { onchange: (e) => { filters.state = e.target.value; render(); } },
    Object.entries(STATES).map(([v, label]) => el('option', { value: v, selected: v === filters.state }, label)));
  const department = el('input', { type: 'text', value: filters.department, placeholder: 'any', onchange: (e) => { filters.department = e.target.value.trim(); render(); } });
  const overdue = el('input', { type: 'checkbox', checked: filters.overdue, onchange: (e) => { filters.overdue = e.target.checked; render(); } });
  root.replaceChildren(heading,
    el('div', { class: 'toolbar' }, field('Show', state), field('Department', department), field('Overdue only', overdue),
      el('button', { type: 'button', onclick: render }, 'Refresh')),
    list);
  await render();
  return refresh;
}
