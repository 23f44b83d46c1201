// Compose: a post with a live counter in the network's own unit, the policy's
// feedback from a dry run as you type, a preview per network, and create.
import { api } from './api.js';
import { el, field, formatTime, reasonList, problemText, toast } from './dom.js';
import { LIMITS, UNIT_NAMES, countLength, renderRich } from './text.js';
import { session } from './app.js';

const DRY_RUN_DELAY_MS = 350;

function body(form) {
  const labels = form.labels.value.split(',').map((s) => s.trim()).filter(Boolean);
  const media = [...form.querySelectorAll('.media-row')].map((row) => ({
    url: row.querySelector('.media-url').value.trim(), alt: row.querySelector('.media-alt').value,
  })).filter((m) => m.url);
  const b = { account: form.account.value, text: form.text.value, labels, media };
  if (form.at.value) b.at = new Date(form.at.value).toISOString().replace(/\.\d+Z$/, 'Z');
  return b;
}

function mediaRow() {
  return el('div', { class: 'media-row toolbar' },
    field('Media URL', el('input', { type: 'url', class: 'media-url', placeholder: 'https://…' })),
    field('Alt text', el('input', { type: 'text', class: 'media-alt' })));
}

export async function composeView(root) {
  const accounts = session.accounts;
  const counter = el('p', { class: 'counter', id: 'counter', 'aria-live': 'polite' });
  const verdict = el('div', { id: 'verdict', 'aria-live': 'polite' });
  const previews = el('div', { id: 'previews' });
  const result = el('div', { id: 'result', role: 'status' });
  const form = el('form', { class: 'panel', id: 'compose-form', novalidate: true },
    el('h2', {}, 'Compose'),
    field('Account', el('select', { name: 'account', required: true },
      accounts.map((a) => el('option', { value: a.id }, `${a.id} (${a.platform}, ${a.handle})`)))),
    field('Text', el('textarea', { name: 'text', rows: 6, 'aria-describedby': 'counter verdict' })),
    counter,
    el('div', { id: 'media' }, mediaRow()),
    el('button', { type: 'button', onclick: () => form.querySelector('#media').append(mediaRow()) }, 'Add media'),
    field('Labels (comma-separated)', el('input', { name: 'labels', type: 'text' })),
    field('Requested time (yours; empty: as soon as allowed)', el('input', { name: 'at', type: 'datetime-local' })),
    el('h3', {}, 'Dry run'), verdict,
    el('p', {}, el('button', { type: 'submit', class: 'primary' }, 'Create post')), result);

  const update = () => {
    const b = body(form);
    const account = accounts.find((a) => a.id === b.account);
    const rules = LIMITS[account?.platform] || [];
    counter.replaceChildren();
    counter.classList.remove('over');
    if (!rules.length) counter.append(`${[...b.text].length} characters (no length limit on ${account?.platform || 'this account'})`);
    for (const rule of rules) {
      const n = countLength(b.text, rule);
      if (n > rule.max) counter.classList.add('over');
      counter.append(el('span', { class: 'count' }, `${n} / ${rule.max} ${UNIT_NAMES[rule.unit]}`), ' ');
    }
    previews.replaceChildren(...[...new Set(accounts.map((a) => a.platform))]
      .filter((p) => p === account?.platform)
      .map((p) => {
        const box = el('div', { class: 'preview' }, el('h4', {}, `${p} preview · ${account.handle}`));
        renderRich(box, b.text);
        for (const m of b.media) box.append(el('div', { class: 'muted' }, `[media: ${m.alt || 'no alt text'}]`));
        return box;
      }));
  };

  let timer = null;
  let seq = 0;
  const dryRun = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const b = body(form);
      const mine = ++seq;
      if (!b.text && !b.media.length) { verdict.replaceChildren(el('p', { class: 'muted' }, 'Type a post to see when it would go out.')); return; }
      try {
        const d = await api('/v1/posts/dry-run', { method: 'POST', body: b });
        if (mine !== seq) return;
        const head = d.outcome === 'refused'
          ? el('p', { class: 'error' }, `Would be refused: ${d.summary}`)
          : el('p', { class: d.outcome === 'on_time' ? 'ok' : '' }, `Would be planned for ${formatTime(d.planned_at)} (your time) `,
            d.outcome === 'on_time' ? 'as requested' : 'because:');
        verdict.replaceChildren(head, reasonList(d.reasons));
      } catch (err) {
        if (mine === seq) verdict.replaceChildren(el('p', { class: 'error' }, problemText(err)));
      }
    }, DRY_RUN_DELAY_MS);
  };

  form.addEventListener('input', () => { update(); dryRun(); });
  form.addEventListener('change', () => { update(); dryRun(); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const post = await api('/v1/posts', { method: 'POST', body: body(form) });
      const refused = post.post;  // a 422 carries the stored, refused post
      const p = refused || post;
      result.replaceChildren(el('p', { class: refused ? 'error' : 'ok' },
        `Post ${p.id} ${p.state.replace('_', ' ')}: ${p.decision.summary}`));
      toast(`Post ${p.id} created (${p.state.replace('_', ' ')})`);
      if (!refused) { form.text.value = ''; update(); }
    } catch (err) {
      result.replaceChildren(el('p', { class: 'error', role: 'alert' }, problemText(err)));
    }
  });

  root.replaceChildren(el('div', { class: 'compose' }, form, el('div', {}, el('h2', {}, 'Preview'), previews)));
  update();
  dryRun();
  return null;  // a form being typed is not refreshed under the user
}
