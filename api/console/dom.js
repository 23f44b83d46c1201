// Small DOM helpers. Every string becomes a text node or a property: nothing
// from the API is ever parsed as HTML.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

export function toast(message, isError = false) {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.classList.toggle('error', isError);
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.textContent = ''; }, 6000);
}

// "2026-03-10 09:00" in `zone` (the viewer's when absent). Formatters are
// costly to build, so there is one per zone.
const formatters = new Map();
function formatter(zone) {
  if (!formatters.has(zone)) {
    const opts = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    if (zone) opts.timeZone = zone;
    formatters.set(zone, new Intl.DateTimeFormat('en-CA', opts));
  }
  return formatters.get(zone);
}

export function formatTime(iso, zone) {
  if (!iso) return '—';
  try {
    const parts = {};
    for (const p of formatter(zone || '').formatToParts(new Date(iso))) parts[p.type] = p.value;
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  } catch {
    return iso;
  }
}

export function field(labelText, control) {
  control.id ||= 'f-' + Math.random().toString(36).slice(2);
  return el('div', { class: 'field' }, el('label', { for: control.id }, labelText), control);
}

export function stateBadge(state) {
  return el('span', { class: `state s-${state}` }, state.replace('_', ' '));
}

// The reasons of a decision, one per line: "min_spacing: 45m after post 812".
export function reasonList(reasons) {
  if (!reasons || !reasons.length) return '';
  return el('ul', { class: 'feedback' }, reasons.map((r) => el('li', {}, el('strong', {}, r.rule), ': ', r.detail)));
}

export function problemText(err) {
  const p = err.problem || {};
  const parts = [p.detail || err.message];
  for (const v of p.violations || []) parts.push(`${v.rule}: ${v.detail}`);
  for (const e of p.errors || []) if (e.detail && e.detail !== p.detail) parts.push(`${e.pointer || e.parameter || ''} ${e.detail}`.trim());
  return parts.join('; ');
}
