// Writes tests/facets/corpus.json: for each text below, the facets the
// official Bluesky client library (@atproto/api, pinned in package-lock.json)
// produces with RichText.detectFacets, mentions resolved against `handles`
// (a stand-in for com.atproto.identity.resolveHandle: any other handle fails
// to resolve). A mention whose handle does not resolve is dropped, as herald
// publishes it as plain text. tests/connectors/bluesky_facets_test.cpp
// compares herald's facets to this file. Run by scripts/regen-bluesky-facets.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.HERALD_NPM_MODULES ?? path.join(here, 'node_modules');
const require = createRequire(path.join(modules, 'x.js'));
const { RichText } = await import(pathToFileURL(require.resolve('@atproto/api')).href);
const apiVersion = JSON.parse(readFileSync(path.join(modules, '@atproto/api/package.json'), 'utf8')).version;

const handles = {
  'bob.test': 'did:plc:bob2222222222222222222',
  'alice.bsky.social': 'did:plc:alice22222222222222222',
  'carol.example.com': 'did:plc:carol22222222222222222',
};

const texts = [
  'Hello sky',
  'Read https://example.org/post',
  'Übersicht: https://example.org/a?b=1. See (http://x.test/y)',
  'https://en.wikipedia.org/wiki/Bracket_(disambiguation)',
  'See https://en.wikipedia.org/wiki/Bracket_(disambiguation).',
  '(see https://example.com/docs)',
  'Links: https://example.com/a, https://example.com/b; https://example.com/c! https://example.com/d?',
  'Trailing twice https://example.com/x). and https://example.com/y!!',
  'Bare domains: example.com, herald.dev/docs and www.example.org?q=1.',
  'Not domains: e.g. file.txt, v1.2.3, 3.14, foo.invalid, Example.COM',
  'Upper case HTTPS://EXAMPLE.COM/A and Http://example.com',
  'httpbin.org is a domain that starts with http',
  'no links, not even xhttps://a.b',
  'mail me: someone@example.com',
  '日本語のテキスト https://例え.jp/パス と example.jp',
  'Emoji first 👩‍👩‍👧‍👦 then https://example.com/🎉 and 🇫🇷 #drapeau',
  'Skin tones 👍🏽 #thumbs👍🏽 done',
  '#herald at the start',
  'a tag at the end #herald',
  'Non-ASCII tags #fête #日本 #Ünïcödé #straße.',
  'Tags with punctuation #tag! #tag, #tag. #tag… (#notag) #a-b #a_b',
  'Numbers #123 #1st #2026 #v2',
  'Full-width ＃タグ and a hash#inside',
  'Emoji tag #🦋 and #️⃣ keycap',
  'Zero width #tag\u200Bafter and #soft\u00ADhyphen',
  'Tag then link #news https://example.com/#fragment',
  'A very long tag #' + 'a'.repeat(64) + ' and #' + 'b'.repeat(65),
  'Mentions: @bob.test, @alice.bsky.social and (@carol.example.com).',
  'Unresolvable @nobody.test and @ghost.bsky.social stay plain',
  'Not handles: @bob, @bob_smith.test, email@bob.test, @-bob.test',
  '@bob.test at the start and trailing dot @bob.test.',
  'Mixed: @bob.test says #hello at https://example.com/ünï (and example.org)',
  'Cashtags $AAPL, $tsla and $TOOLONG ($BRK) $1abc',
  'Multi-line\nhttps://example.com/line\n#tag\n@bob.test',
  'Tabs\thttps://example.com/tab\t#tabbed',
  'Quotes "https://example.com/q" and \'example.net\'',
  'Nested (https://example.com/a_(b)) and https://example.com/(x)/y)',
  'Greek #ελληνικά and Arabic #مرحبا and Hindi #हिन्दी',
  'Combining e\u0301 #cafe\u0301 ok',
  'Non-breaking\u00A0https://example.com/nbsp and ideographic\u3000#space',
];

const cases = [];
for (const text of texts) {
  const rt = new RichText({ text });
  await rt.detectFacets({
    com: { atproto: { identity: { resolveHandle: async ({ handle }) => {
      if (!(handle in handles)) throw new Error('Unable to resolve handle');
      return { data: { did: handles[handle] } };
    } } } },
  });
  const facets = (rt.facets ?? []).filter(
    (f) => !f.features.some((x) => x.$type === 'app.bsky.richtext.facet#mention' && !x.did));
  // RichText tests startsWith('http'), so a bare domain that begins with
  // "http" (httpbin.org) keeps no scheme, and a PDS refuses the whole record
  // ("Invalid uri"). herald gives it https:// like every other bare domain (and
  // drops it when its top-level domain is unknown: no text here has one).
  for (const f of facets) {
    for (const x of f.features) {
      if (x.$type === 'app.bsky.richtext.facet#link' && !/^https?:\/\//.test(x.uri)) x.uri = `https://${x.uri}`;
    }
  }
  cases.push({ text, facets: JSON.parse(JSON.stringify(facets)) });
}
const out = {
  generator: `tests/facets/generate_corpus.mjs with @atproto/api ${apiVersion}`,
  handles,
  cases,
};
writeFileSync(path.join(here, 'corpus.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`${cases.length} texts, ${cases.reduce((n, c) => n + c.facets.length, 0)} facets`);
