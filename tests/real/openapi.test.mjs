// docs/openapi.json against a real validator and a real daemon: `redocly lint`
// (@redocly/cli) on the document, then every answer of a `herald serve` that
// is driven through each operation (successes and the usual errors) checked
// by Ajv against the document's schemas. When HERALD_TEST_RECORD_RESPONSES is
// set (scripts/test sets it for the whole run), the answers every other test
// received are checked too.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { Herald, EDITOR, MANAGER, OTHER_ORG, SOURCE_DIR, acmePolicy } from './harness.mjs'
import { OpenApiChecker, DOCUMENT_PATH } from './openapi.mjs'

const REDOCLY = path.join(process.env.HERALD_REAL_NODE_MODULES, '.bin/redocly')
let server, herald, records

before(async () => {
  server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.statusCode = 204; res.end() }) })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${server.address().port}`
  records = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-openapi-'))
  herald = new Herald((dir) => {
    fs.writeFileSync(`${dir}/hook-secret`, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n')
    return acmePolicy(`    - id: acme-hook
      platform: webhook
      connector: { url: "${base}/ok", secret: "file:${dir}/hook-secret" }
`) + 'content:\n  banned_terms: ["RivalCorp"]\n'
  })
  const previous = process.env.HERALD_TEST_RECORD_RESPONSES
  process.env.HERALD_TEST_RECORD_RESPONSES = records
  try { await herald.start() } finally {
    if (previous === undefined) delete process.env.HERALD_TEST_RECORD_RESPONSES
    else process.env.HERALD_TEST_RECORD_RESPONSES = previous
  }
})

after(async () => {
  if (herald) await herald.remove()
  if (server) server.close()
  if (records) fs.rmSync(records, { recursive: true, force: true })
})

test('redocly lint finds nothing wrong with docs/openapi.json', () => {
  const r = spawnSync(REDOCLY, ['lint', '--config', path.join(SOURCE_DIR, 'tests/real/redocly.yaml'), DOCUMENT_PATH],
    { encoding: 'utf8' })
  if (r.error) throw r.error
  assert.equal(r.status, 0, r.stdout + r.stderr)
  assert.match(r.stdout + r.stderr, /valid/)
})

test('/v1/openapi.json serves the document in docs/', async () => {
  const res = await fetch(herald.url + '/v1/openapi.json')
  assert.equal(res.status, 200)
  assert.equal(await res.text(), fs.readFileSync(DOCUMENT_PATH, 'utf8'))
})

// Drives every operation, with the error answers a client meets most.
async function exercise() {
  const call = (token, method, p, body) => herald.call(token, method, p, body)
  const raw = (method, p, headers, body) => fetch(herald.url + p, { method, headers, body })
  const at = new Date(Date.now() + 3600e3).toISOString().replace(/\.\d+Z$/, 'Z')

  await raw('GET', '/healthz')
  await call(MANAGER, 'GET', '/metrics')
  await raw('GET', '/metrics')                                        // 401, no token
  await call('hrld_not_a_token', 'GET', '/v1/me')                     // 401, a wrong token
  await call(EDITOR, 'GET', '/v1/me')
  await call(EDITOR, 'GET', '/v1/policy')
  const accounts = await call(EDITOR, 'GET', '/v1/accounts')
  const etag = (await raw('GET', '/v1/accounts', { Authorization: `Bearer ${EDITOR}` })).headers.get('etag')
  await raw('GET', '/v1/accounts', { Authorization: `Bearer ${EDITOR}`, 'If-None-Match': etag })  // 304
  assert.equal(accounts.status, 200)

  const created = await call(EDITOR, 'POST', '/v1/posts', { account: 'acme-hook', text: 'Hello from the OpenAPI test', at })
  assert.equal(created.status, 201, created.text)
  const id = created.json.id
  const key = { Authorization: `Bearer ${EDITOR}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'openapi-1' }
  const body = JSON.stringify({ account: 'acme-hook', text: 'Idempotent', at })
  await raw('POST', '/v1/posts', key, body)                            // 201
  await raw('POST', '/v1/posts', key, body)                            // 200, replayed
  await raw('POST', '/v1/posts', key, JSON.stringify({ account: 'acme-hook', text: 'Another', at }))  // 409
  await call(EDITOR, 'POST', '/v1/posts', { account: 'acme-hook', text: 'RivalCorp is worse', at })  // 422 refused
  await call(EDITOR, 'POST', '/v1/posts', { account: 'nobody', text: 'x' })                        // 422 account
  await call(EDITOR, 'POST', '/v1/posts', { account: 'acme-hook', text: 'x', colour: 'red' })      // 400 body
  await call(EDITOR, 'POST', '/v1/posts', { account: 'acme-hook', text: 'x', at: '9999-12-31T00:00:00Z' })  // 400 horizon
  await raw('POST', '/v1/posts', { Authorization: `Bearer ${EDITOR}`, 'Content-Type': 'text/plain' }, 'hi')  // 415
  await raw('POST', '/v1/posts', { Authorization: `Bearer ${EDITOR}`, 'Content-Type': 'application/json' }, '{"account":')  // 400
  await call(EDITOR, 'POST', '/v1/posts', { account: 'acme-hook', text: 'urgent', priority: 'urgent' })  // 403

  const batch = (query, type, text, headers = {}) =>
    raw('POST', '/v1/posts/batch' + query, { Authorization: `Bearer ${EDITOR}`, 'Content-Type': type, ...headers }, text)
  const lines = `{"account":"acme-hook","text":"From a batch","at":"${at}","id":"b1"}\nnot json\n`
  await batch('', 'application/x-ndjson', lines, { 'Idempotency-Key': 'openapi-batch' })  // 200
  await batch('?atomic=true', 'application/x-ndjson', lines)            // 422 with results
  await batch('', 'text/csv', `account,text,at\nacme-hook,"From a CSV, quoted",${at}\n`)
  await batch('', 'text/plain', 'hello')                                // 415
  await call(EDITOR, 'GET', `/v1/posts/${id}`)
  await call(OTHER_ORG, 'GET', `/v1/posts/${id}`)                      // 404
  await call(EDITOR, 'GET', '/v1/posts?limit=1')
  await call(EDITOR, 'GET', '/v1/posts?state=scheduled&account=acme-hook')
  await call(EDITOR, 'GET', '/v1/posts?state=sideways&limit=0')        // 400, two parameters
  await call(EDITOR, 'PATCH', `/v1/posts/${id}`, { text: 'Hello again from the OpenAPI test' })
  await call(EDITOR, 'PATCH', `/v1/posts/${id}`, { text: 'RivalCorp' })  // refused edit
  await call(EDITOR, 'POST', '/v1/posts/dry-run', { account: 'acme-hook', text: 'What if', at })
  await call(EDITOR, 'POST', `/v1/posts/${id}/dry-run`, { at })
  await call(EDITOR, 'POST', `/v1/posts/${id}/dry-run`)
  await call(EDITOR, 'POST', `/v1/posts/${id}/approve`)                // 403, four-eyes
  await call(MANAGER, 'POST', `/v1/posts/${id}/approve`, { note: 'fine' })
  await call(MANAGER, 'POST', `/v1/posts/${id}/approve`)               // 409 already approved
  const second = await call(EDITOR, 'POST', '/v1/posts', { account: 'acme-hook', text: 'To be rejected', at })
  await call(MANAGER, 'POST', `/v1/posts/${second.json.id}/reject`, { note: 'no' })
  await call(MANAGER, 'POST', `/v1/posts/${id}/cancel`, { note: 'changed our minds' })
  await call(MANAGER, 'POST', '/v1/posts/424242/cancel')               // 404

  await call(EDITOR, 'GET', '/v1/accounts/acme-hook/slots?count=3')
  await call(EDITOR, 'GET', '/v1/accounts/acme-hook/slots?count=500')  // 400
  await call(OTHER_ORG, 'GET', '/v1/accounts/acme-hook/slots')         // 404
  const from = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const to = new Date(Date.now() + 7 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z')
  await call(EDITOR, 'GET', `/v1/accounts/acme-hook/closed?from=${from}&to=${to}`)
  await call(EDITOR, 'GET', '/v1/accounts/acme-hook/closed')           // 400, from and to missing
  await call(MANAGER, 'POST', '/v1/accounts/acme-hook/connect')        // 501: no oauth section here
  await call(EDITOR, 'POST', '/v1/accounts/acme-hook/connect')         // 403 or 501
  await raw('GET', '/v1/oauth/callback?code=x&state=y')                // 501
  await call(EDITOR, 'GET', `/v1/posts/${id}/engagement`)
  await call(OTHER_ORG, 'GET', `/v1/posts/${id}/engagement`)          // 404
  await call(EDITOR, 'GET', '/v1/engagement')
  await call(EDITOR, 'GET', '/v1/engagement?account=acme-hook&label=news')
  await call(EDITOR, 'GET', '/v1/engagement?from=yesterday')           // 400
  // The inbox: this organisation's webhook account reads none, so items are
  // absent; the answers still follow the document. (Replies to real items,
  // 201, 200, 403, 409 and 422, are recorded by the inbox end-to-end tests.)
  await call(EDITOR, 'GET', '/v1/inbox')
  await call(EDITOR, 'GET', '/v1/inbox?state=closed')                  // 400
  await call(EDITOR, 'GET', '/v1/inbox/1')                             // 404
  await call(EDITOR, 'POST', '/v1/inbox/1/assign', { to: 'eve' })      // 404
  await call(EDITOR, 'POST', '/v1/inbox/1/assign', {})                 // 400
  await call(EDITOR, 'POST', '/v1/inbox/1/dismiss', {})                // 404
  await call(EDITOR, 'POST', '/v1/inbox/1/reopen', {})                 // 404
  await call(EDITOR, 'POST', '/v1/inbox/1/reply', { text: 'Thanks' })  // 404
  await call(OTHER_ORG, 'POST', '/v1/inbox/1/reply', { text: 'Hi' })   // 404
  await call(EDITOR, 'POST', '/v1/inbox/1/reply', { text: 7 })         // 400
  await raw('POST', '/v1/inbox/1/reply', { Authorization: `Bearer ${EDITOR}`, 'Content-Type': 'text/plain' }, 'hi')  // 415
  await call(MANAGER, 'GET', `/v1/audit?post=${id}`)
  await call(MANAGER, 'GET', '/v1/audit?limit=2')
  await call(MANAGER, 'GET', '/v1/audit?post=999999')                  // 404
  await call(EDITOR, 'GET', '/v1/events')
  await call(EDITOR, 'GET', '/v1/events?type=post.refused&limit=1')
  await call(EDITOR, 'GET', '/v1/events?type=post.deleted')            // 400
  await call(EDITOR, 'GET', '/v1/events/deliveries?state=pending')
  await call(EDITOR, 'GET', '/v1/events/deliveries?state=sent')        // 400
  await call(EDITOR, 'POST', '/v1/events/deliveries/1/retry')          // 403
  await call(MANAGER, 'POST', '/v1/events/deliveries/999999/retry')    // 404
}

// Streamed answers are not recorded: the exports are checked line by line here.
async function exportLines(checker, pathname, schema) {
  const res = await fetch(herald.url + pathname, { headers: { Authorization: `Bearer ${MANAGER}` } })
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'application/x-ndjson')
  assert.equal(res.headers.get('transfer-encoding'), 'chunked')
  const lines = (await res.text()).split('\n')
  assert.equal(lines.pop(), '')
  const problems = lines.flatMap((line, i) => checker.checkSchema(schema, JSON.parse(line), `${pathname} line ${i + 1}`))
  assert.deepEqual(problems, [])
  return lines.map((line) => JSON.parse(line))
}

test('every answer of a daemon driven through each operation matches docs/openapi.json', async () => {
  await exercise()
  const checker = new OpenApiChecker()
  const posts = await exportLines(checker, '/v1/export/posts', 'Post')
  assert.deepEqual(posts.map((p) => p.state).sort(), ['cancelled', 'pending_approval', 'pending_approval', 'pending_approval', 'refused', 'rejected'])
  const actions = new Set((await exportLines(checker, '/v1/export/audit', 'AuditEntry')).map((e) => e.action))
  for (const a of ['create', 'edit', 'reject', 'cancel']) assert.ok(actions.has(a), `no ${a} in ${[...actions]}`)
  const csv = await fetch(herald.url + '/v1/export/posts?format=csv', { headers: { Authorization: `Bearer ${MANAGER}` } })
  assert.match(csv.headers.get('content-type'), /^text\/csv/)
  assert.match(await csv.text(), /^id,account,state,/)
  await herald.call(MANAGER, 'GET', '/v1/export/posts?format=xml')   // 400, recorded
  await herald.call(OTHER_ORG, 'GET', `/v1/export/audit?post=${posts[0].id}`)  // 404, recorded
  const { records: count, problems } = checker.checkFolder(records)
  assert.ok(count >= 40, `only ${count} answers were recorded`)
  assert.deepEqual(problems, [])
  // /v1/openapi.json is served as a file (checked above), not recorded.
  assert.deepEqual(checker.unexercised().filter((k) => k !== 'GET /v1/openapi.json'), [])
})

test('the checker catches an answer that does not match', () => {
  const checker = new OpenApiChecker()
  const bad = { method: 'GET', route: '/v1/me', path: '/v1/me', status: 200, content_type: 'application/json',
                body: JSON.stringify({ organization: 'acme', name: 'x', role: 'overlord' }) }
  assert.equal(checker.check(bad).length, 1)
  assert.equal(checker.check({ ...bad, status: 418 }).length, 1)
  assert.equal(checker.check({ ...bad, route: '/v1/nothing' }).length, 1)
  assert.deepEqual(checker.check({ ...bad, body: JSON.stringify({ organization: 'acme', name: 'x', role: 'admin' }) }), [])
})

if (process.env.HERALD_TEST_RECORD_RESPONSES) {
  test('every answer the rest of the test run received matches docs/openapi.json', () => {
    const checker = new OpenApiChecker()
    const { records: count, problems } = checker.checkFolder(process.env.HERALD_TEST_RECORD_RESPONSES)
    console.log(`checked ${count} recorded answers from ${process.env.HERALD_TEST_RECORD_RESPONSES}`)
    assert.ok(count > 0, 'no answers were recorded: was the suite run with HERALD_TEST_RECORD_RESPONSES?')
    assert.deepEqual(problems.slice(0, 30), [], `${problems.length} answers do not match`)
  })
}
