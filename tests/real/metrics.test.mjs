// herald's /metrics through Prometheus's own linter, `promtool check metrics`
// (Debian package prometheus), after the daemon has published, failed and
// refused posts, so that every family has samples.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import { Herald, MANAGER, OTHER_ORG, acmePolicy } from './harness.mjs'

const PROMTOOL = process.env.HERALD_PROMTOOL || 'promtool'
let server, herald

function promtool(text) {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' })
  if (r.error) throw r.error
  return { status: r.status, output: (r.stdout + r.stderr).trim() }
}

before(async () => {
  // 204 for /ok, 410 Gone for /gone.
  server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.statusCode = req.url === '/ok' ? 204 : 410; res.end() }) })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${server.address().port}`
  herald = new Herald((dir) => {
    fs.writeFileSync(`${dir}/hook-secret`, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n')
    const block = (id, path) => `    - id: ${id}
      platform: webhook
      connector: { url: "${base}${path}", secret: "file:${dir}/hook-secret" }
`
    return acmePolicy(block('acme-ok', '/ok') + block('acme-gone', '/gone'))
  })
  await herald.start()
})

after(async () => {
  if (herald) await herald.remove()
  if (server) server.close()
})

test('promtool finds a linting problem in a malformed exposition', () => {
  const r = promtool('# HELP herald_things Things.\n# TYPE herald_things counter\nherald_things 1\n')
  assert.notEqual(r.status, 0)
  assert.match(r.output, /_total/)
})

test('/metrics passes promtool check metrics after publishes, failures and refusals', async () => {
  const published = await herald.settle(await herald.submit('acme-ok', 'counted'))
  assert.equal(published.state, 'published')
  const failed = await herald.settle(await herald.submit('acme-gone', 'gone'))
  assert.equal(failed.state, 'failed')
  assert.equal((await herald.call(OTHER_ORG, 'GET', `/v1/posts/${published.id}`)).status, 404)
  assert.equal((await herald.call('hrld_not_a_token', 'GET', '/v1/posts')).status, 401)
  const res = await fetch(`${herald.url}/metrics`, { headers: { Authorization: `Bearer ${MANAGER}` } })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await res.text()
  assert.match(text, /outcome="published"/)
  assert.match(text, /outcome="failed"/)
  const r = promtool(text)
  assert.equal(r.output, '', 'promtool has nothing to say')
  assert.equal(r.status, 0)
})
