// Audit (filterable) and Policy (active version, load time, reload errors).
import { api, all } from './api.js';
import { el, field, formatTime, problemText } from './dom.js';

const filters = { post: '', actor: '', action: '', text: '', from: '', to: '' };

export async function auditView(root) {
  const table = el('div');
  const refresh = async () => {
    let path = '/v1/audit?';
    if (filters.post) path += `post=${encodeURIComponent(filters.post)}&`;
    if (filters.from) path += `from=${encodeURIComponent(new Date(filters.from).toISOString().replace(/\.\d+Z$/, 'Z'))}&`;
    if (filters.to) path += `to=${encodeURIComponent(new Date(filters.to).toISOString().replace(/\.\d+Z$/, 'Z'))}&`;
    let entries;
    try {
      entries = await all(path.slice(0, -1), 2000);
    } catch (err) {
      table.replaceChildren(el('p', { class: 'error', role: 'alert' }, problemText(err)));
      return;
    }
    const q = filters.text.toLowerCase();
    entries = entries.filter((e) => (!filters.actor || e.actor.includes(filters.actor)) &&
      (!filters.action || e.action === filters.action) && (!q || JSON.stringify(e.detail).toLowerCase().includes(q))).reverse();
    table.replaceChildren(el('table', { class: 'list' },
      el('thead', {}, el('tr', {}, ['When (yours)', 'Who', 'What', 'Post', 'Details and reasons'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, entries.map((e) => el('tr', {}, el('td', {}, formatTime(e.at)), el('td', {}, e.actor), el('td', {}, e.action),
        el('td', {}, e.post ?? ''), el('td', { class: 'text' }, typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)))))));
  };
  const input = (label, key, type = 'text') => field(label, el('input', { type, value: filters[key], onchange: (e) => { filters[key] = e.target.value; refresh(); } }));
  root.replaceChildren(el('h2', {}, 'Audit'),
    el('div', { class: 'toolbar' }, input('Post', 'post'), input('Who', 'actor'), input('What (action)', 'action'),
      input('Reasons contain', 'text', 'search'), input('From', 'from', 'datetime-local'), input('To', 'to', 'datetime-local')),
    table);
  await refresh();
  return refresh;
}

export async function policyView(root) {
  const refresh = async () => {
    const p = await api('/v1/policy');
    const errors = p.last_reload_errors || [];
    root.replaceChildren(el('h2', {}, `Policy · ${p.organization}`),
      el('dl', { class: 'panel' },
        el('dt', {}, 'Active version (SHA-256)'), el('dd', {}, el('code', {}, p.sha256)),
        el('dt', {}, 'Files'), el('dd', {}, p.source),
        el('dt', {}, 'Loaded at'), el('dd', {}, `${formatTime(p.loaded_at)} (yours)`),
        el('dt', {}, 'Last reload'), el('dd', {}, errors.length ? 'failed; the version above stays active' : 'clean')),
      errors.length ? el('div', { class: 'panel' }, el('h3', { class: 'error' }, 'Errors of the last reload'),
        el('ul', {}, errors.map((e) => el('li', {}, el('code', {}, e))))) : '');
  };
  await refresh();
  return refresh;
}
