// Post text as each network counts and shows it. The counter is a guide while
// typing; the server's dry run (content.length) is the authority.

// unit, max, and the weight of a URL (0: counted as written).
export const LIMITS = {
  mastodon: [{ unit: 'graphemes', max: 500, url: 23 }],
  bluesky: [{ unit: 'graphemes', max: 300, url: 0 }, { unit: 'bytes', max: 3000, url: 0 }],
  x: [{ unit: 'x-weighted', max: 280, url: 23 }],
  linkedin: [{ unit: 'characters', max: 3000, url: 0 }],
  facebook_page: [{ unit: 'characters', max: 63206, url: 0 }],
  threads: [{ unit: 'threads', max: 500, url: 0 }],
  instagram: [{ unit: 'characters', max: 2200, url: 0 }],
  telegram: [{ unit: 'utf-16', max: 4096, url: 0 }],
  discord: [{ unit: 'characters', max: 2000, url: 0 }],
  slack: [{ unit: 'characters', max: 4000, url: 0 }],
};

export const UNIT_NAMES = {
  graphemes: 'characters', bytes: 'bytes', 'x-weighted': 'weighted characters', characters: 'characters',
  'utf-16': 'UTF-16 units', threads: 'characters',
};

const URL_RE = /https?:\/\/[^\s<>"]+/g;
const encoder = new TextEncoder();
const segmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;

function graphemes(text) {
  if (!segmenter) return [...text].length;
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}

// X counts most scripts as 2 and Latin, punctuation and some symbols as 1.
function xWeight(text) {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0);
    const light = c <= 0x10ff || (c >= 0x2000 && c <= 0x200d) || (c >= 0x2010 && c <= 0x201f) || (c >= 0x2032 && c <= 0x2037);
    n += light ? 1 : 2;
  }
  return n;
}

function countPlain(text, unit) {
  switch (unit) {
    case 'graphemes': return graphemes(text);
    case 'bytes': return encoder.encode(text).length;
    case 'utf-16': return text.length;
    case 'x-weighted': return xWeight(text);
    case 'threads': {
      let n = 0;
      for (const ch of text) n += ch.codePointAt(0) < 0x80 ? 1 : encoder.encode(ch).length;
      return n;
    }
    default: return [...text].length;
  }
}

// The length of `text` in `rule.unit`, URLs counted at `rule.url` when set.
export function countLength(text, rule) {
  if (!rule.url) return countPlain(text, rule.unit);
  let n = 0;
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    n += countPlain(text.slice(last, m.index), rule.unit) + rule.url;
    last = m.index + m[0].length;
  }
  return n + countPlain(text.slice(last), rule.unit);
}

// Appends `text` to `parent` as text nodes, with links, #tags and @mentions in
// spans: never as HTML.
export function renderRich(parent, text) {
  const re = /(https?:\/\/[^\s<>"]+)|(#[\p{L}\p{N}_]+)|(@[\p{L}\p{N}_.@-]+)/gu;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) parent.append(text.slice(last, m.index));
    const span = document.createElement('span');
    span.className = m[1] ? 'link' : m[2] ? 'tag' : 'mention';
    span.textContent = m[0];
    parent.append(span);
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}
