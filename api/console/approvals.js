// The approval queue: posts waiting for a manager, what changed in them, and
// approve or reject with a note. Four-eyes is the server's rule; its refusal is
// shown as it comes.
import { api, all } from './api.js';
import { el, formatTime, reasonList, problemText, toast } from './dom.js';
import { session } from './app.js';

async function changes(post) {
  const entries = (await api(`/v1/audit?post=${post.id}&limit=200`)).items;
  const edits = entries.filter((e) => e.action === 'edit' || e.action === 'create');
  if (edits.length < 2) return el('p', { class: 'muted' }, 'Not edited since it was created.');
  const last = edits[edits.length - 1];
  return el('div', {}, el('p', {}, `Edited by ${last.actor} at ${formatTime(last.at)}; the change:`),
    el('pre', {}, JSON.stringify(last.detail, null, 2)));
}

function row(post, refresh) {
  const note = el('input', { type: 'text', 'aria-label': `Note for post ${post.id}`, placeholder: 'Note (kept in the audit)' });
  const status = el('p', { role: 'status' });
  const act = (what) => async () => {
    try {
      const p = await api(`/v1/posts/${post.id}/${what}`, { method: 'POST', body: { note: note.value } });
      toast(`Post ${post.id} ${what === 'approve' ? 'approved' : 'rejected'}: ${p.decision.summary}`);
      await refresh();
    } catch (err) {
      status.className = 'error';
      status.textContent = problemText(err);
    }
  };
  const own = post.author === session.me.name;
  const changed = el('div', {}, el('button', { type: 'button', onclick: async (e) => e.target.replaceWith(await changes(post)) }, 'What changed?'));
  return el('article', { class: 'panel', dataset: { id: post.id } },
    el('h3', {}, `Post ${post.id} · ${post.account} · by ${post.author}`),
    post.kind === 'reply' ? el('p', { class: 'muted' }, `A reply to inbox item ${post.answers_item}, sent in its thread once approved.`) : null,
    el('p', { class: 'text' }, post.text),
    post.labels.length ? el('p', {}, 'Labels: ', post.labels.join(', ')) : null,
    el('p', {}, `Would go out ${formatTime(post.planned_at)} (your time): ${post.decision.summary}`),
    reasonList(post.decision.reasons),
    changed,
    own ? el('p', { class: 'muted' }, 'You wrote this post: another manager must approve it (four-eyes).') : null,
    el('div', { class: 'actions' }, note,
      el('button', { type: 'button', class: 'primary', onclick: act('approve') }, 'Approve'),
      el('button', { type: 'button', onclick: act('reject') }, 'Reject')),
    status);
}

export async function approvalsView(root) {
  const refresh = async () => {
    const posts = await all('/v1/posts?state=pending_approval');
    root.replaceChildren(el('h2', {}, `Approval queue · ${posts.length} waiting`),
      ...(posts.length ? posts.map((p) => row(p, refresh)) : [el('p', { class: 'muted' }, 'Nothing waits for approval.')]));
  };
  await refresh();
  return refresh;
}
