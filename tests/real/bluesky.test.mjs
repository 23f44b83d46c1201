// The Bluesky connector end to end: a real `herald serve` publishes through
// the reference AT Protocol server (@atproto/pds with an in-memory PLC
// directory, started by tests/real/pds.mjs on loopback), and every record is
// read back from the PDS. Each herald account talks to the PDS through its own
// CuttingProxy, which counts the XRPC calls and can cut or hold an answer.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import zlib from 'node:zlib'
import readline from 'node:readline'
import { pathToFileURL } from 'node:url'
import { Herald, SOURCE_DIR, acmePolicy, requireModule, sleep } from './harness.mjs'
import { CuttingProxy } from './proxy.mjs'

const { AtpAgent, RichText } = await import(pathToFileURL(requireModule.resolve('@atproto/api')).href)
const corpus = JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'tests/facets/corpus.json'), 'utf8'))

const POSTER = 'herald.test'
let pdsProcess, pds, agent, herald, images
const proxies = {}

function startPds(accounts) {
  pdsProcess = spawn(process.execPath, [path.join(SOURCE_DIR, 'tests/real/pds.mjs'), ...accounts],
    { stdio: ['pipe', 'pipe', 'inherit'], env: process.env })
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: pdsProcess.stdout })
    lines.once('line', (line) => resolve(JSON.parse(line)))
    pdsProcess.once('exit', (code) => reject(new Error(`the PDS launcher exited ${code}`)))
  })
}

// A small valid RGB PNG of `side`×`side` pixels, different for each seed.
function png(side, seed) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0 }
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length)
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body))
    return Buffer.concat([len, body, sum])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(side, 0); header.writeUInt32BE(side, 4)
  header[8] = 8; header[9] = 2
  const raw = Buffer.alloc((side * 3 + 1) * side)
  for (let y = 0; y < side; y++) for (let x = 0; x < side * 3; x++) raw[y * (side * 3 + 1) + 1 + x] = (x * seed + y * 7) & 0xff
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

function serveImages() {
  const files = { '/one.png': png(32, 3), '/two.png': png(48, 5) }
  const server = http.createServer((req, res) => {
    const body = files[req.url]
    if (!body) { res.statusCode = 404; res.end(); return }
    res.setHeader('Content-Type', 'image/png')
    res.end(body)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ server, files, url: `http://127.0.0.1:${server.address().port}` })))
}

function accountBlock(id, handle, password, proxy, extra = '') {
  return `    - id: ${id}
      platform: bluesky
      handle: ${handle}
      connector:
        base_url: ${proxy.url}
        identifier: ${handle}
        app_password: ${password}
${extra}`
}

// What @atproto/api's RichText makes of `text`, mentions resolved by this PDS,
// with the two differences herald makes on purpose: a mention that does not
// resolve is plain text (RichText keeps a facet without a DID), and a bare
// domain that begins with "http" gets https:// (RichText leaves the URI
// without a scheme, and the PDS refuses the record).
async function officialFacets(text) {
  const rt = new RichText({ text })
  await rt.detectFacets(agent)
  const facets = JSON.parse(JSON.stringify(rt.facets ?? []))
    .filter((f) => !f.features.some((x) => x.$type === 'app.bsky.richtext.facet#mention' && !x.did))
  for (const x of facets.flatMap((f) => f.features)) {
    if (x.$type === 'app.bsky.richtext.facet#link' && !/^https?:\/\//.test(x.uri)) x.uri = `https://${x.uri}`
  }
  return untyped(facets)
}

// `facets` without their optional "$type", which must be the facet type when
// given (and given on every facet when `required`).
function untyped(facets, required = false) {
  return facets.map(({ $type, ...facet }) => {
    if (required || $type !== undefined) assert.equal($type, 'app.bsky.richtext.facet')
    return facet
  })
}

function rkeyOf(post) { return post.remote_id.split('/').pop() }

async function getRecord(did, rkey) {
  const { data } = await agent.com.atproto.repo.getRecord({ repo: did, collection: 'app.bsky.feed.post', rkey })
  return data
}

// Every app.bsky.feed.post record of `did` whose text is `text`.
async function recordsWithText(did, text) {
  const found = []
  let cursor
  do {
    const { data } = await agent.com.atproto.repo.listRecords({ repo: did, collection: 'app.bsky.feed.post', limit: 100, cursor })
    found.push(...data.records.filter((r) => r.value.text === text))
    cursor = data.records.length === 100 ? data.cursor : undefined
  } while (cursor)
  return found
}

before(async () => {
  pds = await startPds([`${POSTER}:pw-herald-1`, 'bob.test:pw-bob-1', 'alice.bsky.social:pw-alice-1',
    'carol.example.com:pw-carol-1', 'wrong.test:pw-wrong-1', 'limited.test:pw-limited-1'])
  agent = new AtpAgent({ service: pds.pds })
  await agent.login({ identifier: POSTER, password: pds.accounts[POSTER].password })
  const target = new URL(pds.pds)
  for (const name of ['sky', 'wrong', 'limited']) proxies[name] = await new CuttingProxy('127.0.0.1', Number(target.port)).listen()
  images = await serveImages()
  herald = new Herald((dir) => {
    fs.writeFileSync(path.join(dir, 'sky-password'), pds.accounts[POSTER].appPassword + '\n')
    fs.writeFileSync(path.join(dir, 'limited-password'), pds.accounts['limited.test'].appPassword + '\n')
    fs.writeFileSync(path.join(dir, 'wrong-password'), 'aaaa-bbbb-cccc-dddd\n')
    return acmePolicy([
      accountBlock('acme-sky', POSTER, `file:${dir}/sky-password`, proxies.sky, '        langs: en, pt-BR\n'),
      accountBlock('acme-wrong', 'wrong.test', `file:${dir}/wrong-password`, proxies.wrong),
      accountBlock('acme-limited', 'limited.test', `file:${dir}/limited-password`, proxies.limited),
    ].join(''))
  })
  await herald.start()
})

after(async () => {
  if (herald) await herald.remove()
  for (const p of Object.values(proxies)) await p.close()
  if (images) images.server.close()
  if (pdsProcess) { pdsProcess.kill('SIGTERM'); await new Promise((r) => pdsProcess.once('exit', r)) }
})

test('the facet corpus is published with the facets @atproto/api computes against the same server', async () => {
  const did = pds.accounts[POSTER].did
  const corpusDid = (d) => {
    const handle = Object.keys(corpus.handles).find((h) => corpus.handles[h] === d)
    return handle ? pds.accounts[handle].did : d
  }
  const ids = []
  for (const c of corpus.cases) ids.push(await herald.submit('acme-sky', c.text))
  for (const [i, id] of ids.entries()) {
    const post = await herald.settle(id, { timeoutMs: 60000 })
    const text = corpus.cases[i].text
    assert.equal(post.state, 'published', `${text}: ${JSON.stringify(post)}`)
    assert.match(post.remote_id, new RegExp(`^at://${did}/app\\.bsky\\.feed\\.post/`))
    const record = await getRecord(did, rkeyOf(post))
    assert.equal(record.value.text, text)
    assert.deepEqual(record.value.langs, ['en', 'pt-BR'])
    const expected = await officialFacets(text)
    // herald types every facet object; RichText types only its mention facets
    // (the field is optional). Everything else must match.
    const got = untyped(record.value.facets ?? [], true)
    assert.deepEqual(got, expected, `facets of ${JSON.stringify(text)}`)
    const fromCorpus = untyped(JSON.parse(JSON.stringify(corpus.cases[i].facets), (k, v) => (k === 'did' ? corpusDid(v) : v)))
    assert.deepEqual(got, fromCorpus, `corpus facets of ${JSON.stringify(text)}`)
  }
  const mentions = corpus.cases.flatMap((c) => c.facets).flatMap((f) => f.features).filter((f) => f.did)
  assert.ok(mentions.length >= 5, 'the corpus holds resolved mentions')
})

test('images reach the PDS as blobs with their alt texts', async () => {
  const did = pds.accounts[POSTER].did
  const media = [{ url: `${images.url}/one.png`, alt: 'A gradient, one' }, { url: `${images.url}/two.png`, alt: 'Zwei: ein Verlauf 🎨' }]
  const before = proxies.sky.count('com.atproto.repo.uploadBlob')
  const post = await herald.settle(await herald.submit('acme-sky', 'Two images', media))
  assert.equal(post.state, 'published', JSON.stringify(post))
  assert.equal(proxies.sky.count('com.atproto.repo.uploadBlob') - before, 2)
  const record = await getRecord(did, rkeyOf(post))
  const embed = record.value.embed
  assert.equal(embed.$type, 'app.bsky.embed.images')
  assert.equal(embed.images.length, 2)
  for (const [i, file] of ['/one.png', '/two.png'].entries()) {
    const image = embed.images[i]
    assert.equal(image.alt, media[i].alt)
    assert.equal(image.image.mimeType, 'image/png')
    assert.equal(image.image.size, images.files[file].length)
    const cid = image.image.ref.$link ?? image.image.ref.toString()
    const blob = await agent.com.atproto.sync.getBlob({ did, cid })
    assert.ok(Buffer.from(blob.data).equals(images.files[file]), `blob ${i} holds the image's bytes`)
  }
})

test('an expired access token is renewed with refreshSession, not a new login', async () => {
  const sky = proxies.sky
  assert.ok(sky.count('com.atproto.server.createSession') >= 1, 'herald has a session by now')
  const sessions = sky.count('com.atproto.server.createSession')
  const creates = sky.count('com.atproto.repo.createRecord')
  // The PDS's access tokens live two hours; move its clock past that.
  const moved = await fetch(`${pds.control}/clock?advance=${3 * 3600}`, { method: 'POST' })
  assert.equal(moved.status, 200)
  const post = await herald.settle(await herald.submit('acme-sky', 'After the token expired'))
  assert.equal(post.state, 'published', JSON.stringify(post))
  assert.equal(sky.count('com.atproto.server.refreshSession'), 1)
  assert.equal(sky.count('com.atproto.server.createSession'), sessions, 'no new createSession')
  assert.equal(sky.count('com.atproto.repo.createRecord') - creates, 2, 'refused once as expired, then created')
  assert.equal((await recordsWithText(pds.accounts[POSTER].did, 'After the token expired')).length, 1)
})

test('a createRecord whose answer is lost is found by getRecord and published once', async () => {
  const text = 'The answer to this one is cut'
  const lookups = proxies.sky.count('com.atproto.repo.getRecord')
  const cut = proxies.sky.arm('com.atproto.repo.createRecord', 'cut')
  const id = await herald.submit('acme-sky', text)
  await cut
  const post = await herald.settle(id)
  assert.equal(post.state, 'published', JSON.stringify(post))
  assert.ok(proxies.sky.count('com.atproto.repo.getRecord') > lookups, 'herald asked getRecord')
  const records = await recordsWithText(pds.accounts[POSTER].did, text)
  assert.equal(records.length, 1)
  assert.equal(records[0].uri, post.remote_id)
})

for (const [mode, what] of [['hold', 'after the PDS created the record'], ['stall', 'before the request reached the PDS']]) {
  test(`herald killed with SIGKILL mid-publish (${what}) publishes exactly one record after a restart`, async () => {
    const text = `Killed mid-publish, ${mode}`
    const did = pds.accounts[POSTER].did
    const hit = proxies.sky.arm('com.atproto.repo.createRecord', mode)
    const id = await herald.submit('acme-sky', text)
    await hit
    if (mode === 'hold') {
      for (let i = 0; i < 100 && (await recordsWithText(did, text)).length === 0; i++) await sleep(50)
      assert.equal((await recordsWithText(did, text)).length, 1, 'the PDS created the record')
    } else {
      assert.equal((await recordsWithText(did, text)).length, 0, 'nothing reached the PDS')
    }
    const during = await herald.post(id)
    assert.equal(during.state, 'publishing', `${JSON.stringify(during)}\n${proxies.sky.requests.slice(-6).join('\n')}\n${herald.log().slice(-3000)}`)
    await herald.kill()
    await herald.start()
    const post = await herald.settle(id)
    assert.equal(post.state, 'published', JSON.stringify(post))
    const records = await recordsWithText(did, text)
    assert.equal(records.length, 1)
    assert.equal(records[0].uri, post.remote_id)
  })
}

test('wrong credentials fail the post with a clear reason and no retry storm', async () => {
  const post = await herald.settle(await herald.submit('acme-wrong', 'This account has a wrong app password'))
  assert.equal(post.state, 'failed', JSON.stringify(post))
  assert.match(post.failure, /createSession for wrong\.test refused/)
  assert.match(post.failure, /credentials/)
  await sleep(3000)
  assert.equal(proxies.wrong.count('com.atproto.server.createSession'), 1)
  assert.equal(proxies.wrong.count('com.atproto.repo.createRecord'), 0)
})

test("the PDS's own createSession limit pauses the account instead of hammering it", async () => {
  const handle = 'limited.test'
  // Spend the account's 30 logins per 5 minutes, as another client of the account would.
  let limited
  for (let i = 0; i < 40 && !limited; i++) {
    const r = await fetch(`${pds.pds}/xrpc/com.atproto.server.createSession`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ identifier: handle, password: pds.accounts[handle].appPassword }),
    })
    if (r.status === 429) limited = r
    else assert.equal(r.status, 200)
  }
  assert.ok(limited, 'the PDS limits createSession')
  const reset = Number(limited.headers.get('ratelimit-reset'))
  assert.ok(reset * 1000 > Date.now(), 'with a reset in the future')
  const id = await herald.submit('acme-limited', 'Posted once the login limit resets')
  for (let i = 0; i < 100 && proxies.limited.count('com.atproto.server.createSession') === 0; i++) await sleep(100)
  await sleep(4000)
  assert.equal(proxies.limited.count('com.atproto.server.createSession'), 1, 'one attempt, then a pause')
  const post = await herald.post(id)
  assert.equal(post.state, 'scheduled', JSON.stringify(post))
  assert.ok(Date.parse(post.planned_at) >= Date.now() + 60000, `planned after the reset: ${post.planned_at}`)
})
