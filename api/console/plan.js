// The plan: week, month and list views of the organisation's posts, with
// filters, pauses shaded, and drag (or "Move to…") to reschedule through a dry
// run first.
import { api, all, ApiError } from './api.js';
import { el, field, formatTime, stateBadge, reasonList, problemText, toast } from './dom.js';
import { session, canEdit, accountById } from './app.js';

const STATES = ['scheduled', 'pending_approval', 'publishing', 'published', 'refused', 'failed', 'unconfirmed', 'missed', 'cancelled', 'rejected'];
const MOVABLE = new Set(['scheduled', 'pending_approval', 'refused']);
const DAY_MS = 86400000;

const state = { mode: 'week', anchor: startOfWeek(new Date()), account: '', platform: '', status: '', label: '' };

function startOfWeek(d) {
  const s = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  s.setDate(s.getDate() - ((s.getDay() + 6) % 7));  // Monday
  return s;
}
function startOfMonth(d) { return new Date(d.getFullYear(), d.getMonth(), 1); }
const iso = (d) => d.toISOString().replace(/\.\d+Z$/, 'Z');
const dayKey = (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

function range() {
  if (state.mode === 'month') {
    const first = startOfMonth(state.anchor);
    const from = startOfWeek(first);
    const next = new Date(first.getFullYear(), first.getMonth() + 1, 1);
    const to = new Date(startOfWeek(new Date(next.getTime() - DAY_MS)).getTime() + 7 * DAY_MS);
    return { from, to, first };
  }
  if (state.mode === 'list') return { from: state.anchor, to: new Date(state.anchor.getTime() + 28 * DAY_MS) };
  return { from: state.anchor, to: new Date(state.anchor.getTime() + 7 * DAY_MS) };
}

async function loadPosts(from, to) {
  let path = `/v1/posts?from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`;
  if (state.account) path += `&account=${encodeURIComponent(state.account)}`;
  if (state.status) path += `&state=${encodeURIComponent(state.status)}`;
  const posts = await all(path);
  return posts.filter((p) => {
    if (state.platform && accountById(p.account)?.platform !== state.platform) return false;
    if (state.label && !p.labels.some((l) => l.toLowerCase().includes(state.label.toLowerCase()))) return false;
    return true;
  }).sort((a, b) => (a.planned_at || a.requested_at).localeCompare(b.planned_at || b.requested_at) || a.id - b.id);
}

const when = (p) => new Date(p.planned_at || p.published_at || p.requested_at);

function card(post, compact) {
  const movable = MOVABLE.has(post.state) && canEdit(post);
  const t = post.planned_at || post.requested_at;
  const summary = el('summary', { title: post.decision.summary },
    el('strong', {}, formatTime(t).slice(11)), ' ', post.account, ' ', stateBadge(post.state),
    compact ? null : el('span', { class: 'text' }, post.text.length > 80 ? post.text.slice(0, 80) + '…' : post.text));
  const details = el('details', { class: `card s-${post.state}`, draggable: movable ? 'true' : null, dataset: { id: post.id },
    ondragstart: (e) => { e.dataTransfer.setData('text/plain', String(post.id)); e.dataTransfer.effectAllowed = 'move'; } },
  summary);
  // The body is built when first opened: a month may hold thousands of cards.
  details.addEventListener('toggle', () => {
    if (!details.open || details.childElementCount > 1) return;
    const account = accountById(post.account);
    details.append(el('div', {},
      el('span', { class: 'text' }, post.text),
      post.labels.length ? el('div', {}, 'Labels: ', post.labels.join(', ')) : null,
      el('div', { class: 'times' }, `#${post.id} by ${post.author} · your time ${formatTime(t)}`,
        account?.timezone ? ` · ${account.timezone} ${formatTime(t, account.timezone)}` : ''),
      el('div', { class: 'why' }, post.decision.summary),
      reasonList(post.decision.reasons),
      post.failure ? el('div', { class: 'error' }, post.failure) : null,
      post.state === 'published' ? engagementLine(post) : null,
      movable ? moveControls(post) : null));
  });
  return details;
}

// "Engagement: 3 replies · 5 reposts · 12 likes (read …)", filled in when the
// series arrives; counts the platform does not expose are left out.
function engagementLine(post) {
  const line = el('div', { class: 'engagement' }, 'Engagement: …');
  api(`/v1/posts/${post.id}/engagement`).then((e) => {
    const last = [...e.series].reverse().find((p) => p.outcome === 'read');
    if (e.gone) { line.textContent = 'Engagement: deleted on the platform'; return; }
    if (!last) {
      line.textContent = e.next_read ? `Engagement: first read ${formatTime(e.next_read)}` : 'Engagement: not available';
      return;
    }
    const parts = Object.entries(last.counts).filter(([, n]) => n !== null).map(([name, n]) => `${n} ${name}`);
    line.textContent = `Engagement: ${parts.join(' · ')} (read ${formatTime(last.read_at)})`;
  }).catch(() => { line.textContent = 'Engagement: unavailable right now'; });
  return line;
}

function moveControls(post) {
  const input = el('input', { type: 'datetime-local', 'aria-label': `New time for post ${post.id}` });
  const d = when(post);
  input.value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  return el('div', { class: 'actions' }, input,
    el('button', { type: 'button', onclick: () => input.value && tryMove(post, new Date(input.value)) }, 'Move'));
}

// Asks the governor first; moves only to a slot it allows as asked, and
// otherwise says why and offers the slot it would give.
export async function tryMove(post, target) {
  if (target.getTime() < Date.now()) return toast('That time has passed; pick a later one.', true);
  let dry;
  try {
    dry = await api(`/v1/posts/${post.id}/dry-run`, { method: 'POST', body: { at: iso(target) } });
  } catch (err) {
    return toast(`Cannot check post ${post.id}: ${problemText(err)}`, true);
  }
  if (dry.outcome === 'on_time') return applyMove(post, iso(target));
  const dialog = el('dialog', { 'aria-labelledby': 'refused-title', class: 'refused' },
    el('h3', { id: 'refused-title' }, `Post ${post.id} cannot go at ${formatTime(iso(target))}`),
    el('p', { class: 'error reason-line' }, dry.reasons.map((r) => `${r.rule} ${r.detail}`).join('; ') || dry.summary),
    reasonList(dry.reasons));
  const close = () => { dialog.close(); dialog.remove(); };
  const buttons = el('div', { class: 'actions' });
  if (dry.planned_at) {
    buttons.append(el('button', { type: 'button', class: 'primary', onclick: () => { close(); applyMove(post, dry.planned_at); } },
      `Move to the next allowed slot, ${formatTime(dry.planned_at)}`));
  }
  buttons.append(el('button', { type: 'button', onclick: close }, 'Keep it where it is'));
  dialog.append(buttons);
  document.body.append(dialog);
  dialog.showModal();
}

async function applyMove(post, at) {
  try {
    const moved = await api(`/v1/posts/${post.id}`, { method: 'PATCH', body: { at } });
    toast(`Post ${post.id} moved: ${moved.decision.summary}`);
  } catch (err) {
    toast(`Post ${post.id} was not moved: ${problemText(err)}`, true);
  }
  if (session.refresh) await session.refresh();
}

function dropTarget(cell, timeFor) {
  cell.addEventListener('dragover', (e) => { e.preventDefault(); cell.classList.add('drop'); });
  cell.addEventListener('dragleave', () => cell.classList.remove('drop'));
  cell.addEventListener('drop', async (e) => {
    e.preventDefault();
    cell.classList.remove('drop');
    const id = Number(e.dataTransfer.getData('text/plain'));
    const post = (await api(`/v1/posts/${id}`));
    tryMove(post, timeFor(when(post)));
  });
}

// Accounts in view that are paused (rate limit, open breaker): [until, why].
function pauses() {
  return session.accounts
    .filter((a) => a.paused && (!state.account || a.id === state.account) && (!state.platform || a.platform === state.platform))
    .map((a) => ({ until: new Date(a.paused.until), why: `${a.id} paused until ${formatTime(a.paused.until)}: ${a.paused.rule}, ${a.paused.why}` }));
}

// Accounts in view, for the closed spans of their calendar rules.
function accountsInView() {
  return session.accounts.filter((a) => (!state.account || a.id === state.account) && (!state.platform || a.platform === state.platform));
}

// Closed spans (quiet hours, days off, blackouts) of each account in view, by
// account id; at most 12 accounts are asked (more would shade nothing useful).
let closed = new Map();
async function loadClosed(from, to) {
  const accounts = accountsInView();
  closed = new Map();
  if (!accounts.length || accounts.length > 12 || state.mode === 'list') return;
  const range = `from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`;
  await Promise.all(accounts.map(async (a) => {
    const r = await api(`/v1/accounts/${encodeURIComponent(a.id)}/closed?${range}`);
    closed.set(a.id, r.spans.map((x) => ({ from: new Date(x.from), until: new Date(x.until), why: `${a.id}: ${x.rule} ${x.why}` })));
  }));
}

// Whether `spans` together cover [start, end).
function covers(spans, start, end) {
  let t = start.getTime();
  for (const x of [...spans].sort((a, b) => a.from - b.from)) {
    if (x.from.getTime() > t) break;
    t = Math.max(t, x.until.getTime());
    if (t >= end.getTime()) return true;
  }
  return t >= end.getTime();
}

function shade(cell, start, end) {
  const lines = [];
  const hits = pauses().filter((p) => start < p.until && end > new Date());
  if (hits.length) cell.classList.add('paused');
  lines.push(...hits.map((p) => p.why));
  if (closed.size) {
    // Closed when no account in view may post at any moment of the cell.
    let all = true;
    for (const spans of closed.values()) {
      const overlapping = spans.filter((x) => x.from < end && x.until > start);
      for (const x of overlapping) if (!lines.includes(x.why)) lines.push(x.why);
      if (!covers(overlapping, start, end)) all = false;
    }
    if (all) cell.classList.add('closed');
  }
  if (lines.length) cell.title = lines.join('\n');
}

function weekGrid(posts, from) {
  const grid = el('div', { class: 'calendar week', role: 'grid', 'aria-label': 'Week' });
  grid.append(el('div', { class: 'head' }));
  const days = [...Array(7)].map((_, i) => new Date(from.getFullYear(), from.getMonth(), from.getDate() + i));
  for (const d of days) grid.append(el('div', { class: 'head', role: 'columnheader' }, d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' })));
  const byCell = new Map();
  for (const p of posts) {
    const t = when(p);
    const k = `${dayKey(t)}-${t.getHours()}`;
    if (!byCell.has(k)) byCell.set(k, []);
    byCell.get(k).push(p);
  }
  for (let h = 0; h < 24; h++) {
    grid.append(el('div', { class: 'hour' }, `${String(h).padStart(2, '0')}:00`));
    for (const d of days) {
      const start = new Date(d.getFullYear(), d.getMonth(), d.getDate(), h);
      const cell = el('div', { class: 'cell', role: 'gridcell', dataset: { start: iso(start) } });
      shade(cell, start, new Date(start.getTime() + 3600000));
      for (const p of byCell.get(`${dayKey(d)}-${h}`) || []) cell.append(card(p, true));
      dropTarget(cell, (old) => new Date(start.getFullYear(), start.getMonth(), start.getDate(), h, old.getMinutes()));
      grid.append(cell);
    }
  }
  return grid;
}

function monthGrid(posts, from, to, first) {
  const grid = el('div', { class: 'calendar month', role: 'grid', 'aria-label': 'Month' });
  for (const name of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']) grid.append(el('div', { class: 'head', role: 'columnheader' }, name));
  const byDay = new Map();
  for (const p of posts) {
    const k = dayKey(when(p));
    if (!byDay.has(k)) byDay.set(k, []);
    byDay.get(k).push(p);
  }
  for (let d = new Date(from); d < to; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) {
    const day = new Date(d);
    const cell = el('div', { class: 'cell' + (day.getMonth() === first.getMonth() ? '' : ' other-month'), role: 'gridcell', dataset: { start: iso(day) } },
      el('div', { class: 'day-number' }, String(day.getDate())));
    shade(cell, day, new Date(day.getTime() + DAY_MS));
    const list = byDay.get(dayKey(day)) || [];
    const frag = document.createDocumentFragment();
    for (const p of list) frag.append(card(p, true));
    cell.append(frag);
    dropTarget(cell, (old) => new Date(day.getFullYear(), day.getMonth(), day.getDate(), old.getHours(), old.getMinutes()));
    grid.append(cell);
  }
  return grid;
}

function listTable(posts) {
  if (!posts.length) return el('p', { class: 'muted' }, 'No posts in this range.');
  return el('table', { class: 'list' },
    el('thead', {}, el('tr', {}, ['Time (yours)', 'Account time', 'Account', 'State', 'Text', 'Decision'].map((h, i) =>
      el('th', { scope: 'col', class: i === 1 || i === 4 ? 'wide-only' : '' }, h)))),
    el('tbody', {}, posts.map((p) => {
      const a = accountById(p.account);
      const t = p.planned_at || p.requested_at;
      return el('tr', { dataset: { id: p.id } }, el('td', {}, formatTime(t)), el('td', { class: 'wide-only' }, a ? formatTime(t, a.timezone) : ''),
        el('td', {}, p.account), el('td', {}, stateBadge(p.state)), el('td', { class: 'text wide-only' }, p.text),
        el('td', {}, card(p, true)));
    })));
}

function toolbar(root, render) {
  const set = (k) => (e) => { state[k] = e.target.value; render(); };
  const select = (label, key, options) => field(label, el('select', { onchange: set(key) },
    el('option', { value: '' }, 'all'), options.map((o) => el('option', { value: o, selected: state[key] === o }, o))));
  const platforms = [...new Set(session.accounts.map((a) => a.platform))];
  const shift = (n) => () => {
    const a = state.anchor;
    state.anchor = state.mode === 'month' ? new Date(a.getFullYear(), a.getMonth() + n, 1)
      : new Date(a.getFullYear(), a.getMonth(), a.getDate() + n * (state.mode === 'list' ? 28 : 7));
    render();
  };
  const mode = (m) => el('button', { type: 'button', 'aria-pressed': String(state.mode === m), class: state.mode === m ? 'primary' : '',
    onclick: () => {
      // The month a week mostly lies in is the month of its Thursday.
      const middle = state.mode === 'month' ? state.anchor : new Date(state.anchor.getTime() + 3 * DAY_MS);
      state.mode = m;
      state.anchor = m === 'month' ? startOfMonth(middle) : startOfWeek(state.anchor);
      render();
    } }, m);
  return el('div', { class: 'toolbar' },
    el('div', { role: 'group', 'aria-label': 'View' }, mode('week'), mode('month'), mode('list')),
    el('button', { type: 'button', onclick: shift(-1), 'aria-label': 'Earlier' }, '‹'),
    el('button', { type: 'button', onclick: () => { state.anchor = state.mode === 'month' ? startOfMonth(new Date()) : startOfWeek(new Date()); render(); } }, 'Today'),
    el('button', { type: 'button', onclick: shift(1), 'aria-label': 'Later' }, '›'),
    select('Account', 'account', session.accounts.map((a) => a.id)),
    select('Platform', 'platform', platforms),
    select('State', 'status', STATES),
    field('Label', el('input', { type: 'search', value: state.label, onchange: set('label') })));
}

export async function planView(root) {
  const render = async () => {
    const { from, to, first } = range();
    const fetched = performance.now();
    const [posts] = await Promise.all([loadPosts(from, to), loadClosed(from, to)]);
    root.dataset.fetchMs = String(Math.round(performance.now() - fetched));
    const title = state.mode === 'month' ? first.toLocaleDateString(undefined, { month: 'long', year: 'numeric' })
      : `${from.toLocaleDateString()} – ${new Date(to.getTime() - 1).toLocaleDateString()}`;
    const started = performance.now();
    const view = state.mode === 'week' ? weekGrid(posts, from) : state.mode === 'month' ? monthGrid(posts, from, to, first) : listTable(posts);
    root.replaceChildren(toolbar(root, render),
      el('h2', {}, `Plan · ${title}`, el('span', { class: 'muted' }, ` · ${posts.length} posts · your time zone ${Intl.DateTimeFormat().resolvedOptions().timeZone}`)),
      el('div', { class: 'legend' }, STATES.slice(0, 6).map(stateBadge), el('span', { class: 'cell paused' }, 'striped red: account paused'),
        el('span', { class: 'cell closed' }, 'grey: closed (quiet hours, day off, blackout)')),
      view);
    root.dataset.renderMs = String(Math.round(performance.now() - started));
    root.dataset.from = iso(from);
    root.dataset.posts = String(posts.length);
  };
  await render();
  return render;
}
export { ApiError };
