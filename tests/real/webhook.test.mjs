// The webhook connector's deliveries checked by the Standard Webhooks
// reference library (`standardwebhooks`' Webhook.verify) in a Node receiver,
// against a real `herald serve`. The receiver answers 401 to any delivery that
// does not verify, as a receiver following the spec does.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import { pathToFileURL } from 'node:url'
import { Herald, acmePolicy, requireModule, sleep } from './harness.mjs'

const { Webhook } = await import(pathToFileURL(requireModule.resolve('standardwebhooks')).href)

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OTHER_SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'
const receiver = new Webhook(SECRET)
let server, base, herald
const deliveries = [] // {path, headers, body, verified, error}
const failFirst = new Map() // path -> status to answer the first delivery with

function startReceiver() {
  server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const delivery = { path: req.url, headers: { ...req.headers }, body, verified: false }
      deliveries.push(delivery)
      try {
        receiver.verify(body, req.headers)
        delivery.verified = true
      } catch (e) {
        delivery.error = e.message
        res.statusCode = 401
        res.end(JSON.stringify({ error: 'signature does not verify' }))
        return
      }
      if (failFirst.has(req.url)) {
        res.statusCode = failFirst.get(req.url)
        failFirst.delete(req.url)
        res.setHeader('Retry-After', '1')
        res.end()
        return
      }
      res.statusCode = 204
      res.end()
    })
  })
  return new Promise((r) => server.listen(0, '127.0.0.1', () => { base = `http://127.0.0.1:${server.address().port}`; r() }))
}

// An account block whose secret is written to a file in `dir`.
function hook(dir, id, path, secret) {
  fs.writeFileSync(`${dir}/${id}-secret`, secret + '\n')
  return `    - id: ${id}
      platform: webhook
      connector:
        url: ${base}${path}
        secret: file:${dir}/${id}-secret
`
}

before(async () => {
  await startReceiver()
  herald = new Herald((dir) => {
    // The organisation's event subscription (docs/events.md), signed with the same secret.
    fs.writeFileSync(`${dir}/events-secret`, SECRET + '\n')
    return acmePolicy(hook(dir, 'acme-hook', '/hook', SECRET) +
      hook(dir, 'acme-flaky', '/flaky', SECRET) + hook(dir, 'acme-stranger', '/stranger', OTHER_SECRET)) +
      `events:\n  - url: ${base.replace('127.0.0.1', 'localhost')}/events\n    secret: file:${dir}/events-secret\n` +
      '    types: [post.published]\n'
  })
  await herald.start()
})

after(async () => {
  if (herald) await herald.remove()
  if (server) server.close()
})

test('every delivery verifies with the reference library and carries the post', async () => {
  const texts = ['Plain', 'Ünïcödé and emoji 👩‍👩‍👧‍👦', 'Quotes " and \\ backslashes\nand lines', 'x'.repeat(2000)]
  const ids = []
  for (const t of texts) ids.push(await herald.submit('acme-hook', t, [{ url: 'https://cdn.example.org/a.png', alt: 'alt ✓' }]))
  for (const [i, id] of ids.entries()) {
    const post = await herald.settle(id)
    assert.equal(post.state, 'published', JSON.stringify(post))
    const mine = deliveries.filter((d) => d.path === '/hook' && d.headers['webhook-id'] === post.remote_id)
    assert.equal(mine.length, 1, `one delivery of post ${id}`)
    assert.ok(mine[0].verified, mine[0].error)
    const payload = receiver.verify(mine[0].body, mine[0].headers)
    assert.equal(payload.type, 'post.published')
    assert.equal(payload.data.id, id)
    assert.equal(payload.data.text, texts[i])
    assert.deepEqual(payload.data.media, [{ url: 'https://cdn.example.org/a.png', alt: 'alt ✓' }])
  }
  assert.ok(deliveries.filter((d) => d.path === '/hook').every((d) => d.verified))
})

test('each post.published event delivery verifies with the reference library too', async () => {
  const started = Date.now()
  const published = deliveries.filter((d) => d.path === '/hook').map((d) => JSON.parse(d.body).data.id)
  assert.ok(published.length > 0)
  let events = []
  for (let i = 0; i < 100; i++) {
    events = deliveries.filter((d) => d.path === '/events')
    if (events.length >= published.length) break
    await sleep(100)
  }
  for (const id of published) {
    const mine = events.filter((d) => d.verified && receiver.verify(d.body, d.headers).data.post.id === id)
    assert.equal(mine.length, 1, `one event delivery for post ${id}`)
    const event = receiver.verify(mine[0].body, mine[0].headers)
    assert.equal(event.type, 'post.published')
    assert.equal(event.id, mine[0].headers['webhook-id'])
    assert.equal(event.data.post.state, 'published')
  }
  assert.ok(events.every((d) => d.verified), events.map((d) => d.error).join('; '))
  console.log(`event deliveries verified in ${Date.now() - started} ms`)
})

test('the library rejects a tampered delivery, so the check above could fail', async () => {
  const d = deliveries.find((x) => x.path === '/hook' && x.verified)
  assert.ok(d)
  assert.throws(() => receiver.verify(d.body.replace('post.published', 'post.deleted'), d.headers))
  assert.throws(() => receiver.verify(d.body, { ...d.headers, 'webhook-id': d.headers['webhook-id'] + 'x' }))
  assert.throws(() => receiver.verify(d.body, { ...d.headers, 'webhook-timestamp': String(Number(d.headers['webhook-timestamp']) + 1) }))
  assert.throws(() => new Webhook(OTHER_SECRET).verify(d.body, d.headers))
})

test('a delivery the receiver rejects as unsigned fails the post once, with the reason', async () => {
  const id = await herald.submit('acme-stranger', 'Signed with a secret the receiver does not share')
  const post = await herald.settle(id)
  assert.equal(post.state, 'failed', JSON.stringify(post))
  assert.match(post.failure, /credentials/)
  await sleep(2000)
  const mine = deliveries.filter((d) => d.path === '/stranger')
  assert.equal(mine.length, 1, 'no retries of a refused delivery')
  assert.equal(mine[0].verified, false)
})

test('a delivery answered 503 is sent again, with the same webhook-id and a fresh signature', async () => {
  failFirst.set('/flaky', 503)
  const id = await herald.submit('acme-flaky', 'The receiver is briefly down')
  const post = await herald.settle(id, { timeoutMs: 60000, states: ['scheduled', 'publishing'] })
  assert.equal(post.state, 'published', JSON.stringify(post))
  const mine = deliveries.filter((d) => d.path === '/flaky')
  assert.equal(mine.length, 2)
  assert.ok(mine.every((d) => d.verified))
  assert.equal(mine[0].headers['webhook-id'], mine[1].headers['webhook-id'])
  assert.equal(mine[1].headers['webhook-id'], post.remote_id)
})
