// Shared pieces of the real-server tier: a real `herald serve` (temporary
// SQLite database, the example tokens, a policy written by the test, a free
// loopback port) that can be killed with SIGKILL and started again on the same
// database, and API calls to it. The npm packages come from
// HERALD_REAL_NODE_MODULES (set by tests/real/node-env).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

export const SOURCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const BUILD_DIR = process.env.HERALD_BUILD_DIR || path.join(SOURCE_DIR, 'build')
export const HERALD = process.env.HERALD_BINARY || path.join(BUILD_DIR, 'cli/herald')
export const requireModule = createRequire(process.env.HERALD_REAL_NODE_MODULES + '/')

export const EDITOR = 'hrld_example_acme_editor'
export const MANAGER = 'hrld_example_acme_manager'
export const OTHER_ORG = 'hrld_example_globex_admin'

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// The acme policy the tests run under: `accounts` (YAML list items, indented
// four spaces), no spacing between posts, approval by a second person.
export function acmePolicy(accounts) {
  return `version: 1
organization: acme
timezone: UTC
accounts:
  list:
${accounts}
frequency:
  default:
    min_spacing: 0s
  max_delay: 48h
  missed_after: 30m
approval: { required: true, approvers: [manager, admin], four_eyes: true }
`
}

// A herald deployment in a temporary folder: `policy(dir)` returns the acme
// policy's YAML (and may write secret files into `dir`). start() runs
// `herald serve`, kill() sends SIGKILL, stop() SIGTERM; start() again reuses
// the database.
export class Herald {
  constructor(policy) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-real-'))
    fs.mkdirSync(path.join(this.dir, 'policies'))
    fs.writeFileSync(path.join(this.dir, 'policies/acme.yaml'), policy(this.dir))
    this.config = path.join(this.dir, 'herald.yaml')
    fs.writeFileSync(this.config, [
      'listen: 127.0.0.1:0',
      `storage: sqlite:${path.join(this.dir, 'herald.db')}`,
      `policies: ${path.join(this.dir, 'policies')}`,
      `tokens: ${path.join(SOURCE_DIR, 'examples/tokens.json')}`,
      `outbox: ${path.join(this.dir, 'outbox')}`,
      'max_accounts: { acme: 10 }',
      'media_allow: [127.0.0.1]',
      'log: { level: info, format: text }',
      'shutdown_grace: 2s',
      '',
    ].join('\n'))
    this.logText = ''
  }

  async start() {
    const child = spawn(HERALD, ['serve', '--config', this.config], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    let seen = ''
    const onData = (chunk) => { seen += chunk; this.logText += chunk }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    this.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`herald did not start in 20 s:\n${seen}`)), 20000)
      const poll = setInterval(() => {
        const m = /listening on ([\d.]+:\d+)/.exec(seen)
        if (!m) return
        clearTimeout(timer)
        clearInterval(poll)
        // A policy that does not load is the test's own mistake: say so now.
        const refused = /^.* error policy: .*$/m.exec(seen)
        if (refused) reject(new Error(`herald refused the test's policy: ${refused[0]}`))
        else resolve(`http://${m[1]}`)
      }, 20)
      child.once('exit', (code) => { clearTimeout(timer); clearInterval(poll); reject(new Error(`herald exited ${code}:\n${seen}`)) })
    })
    return this
  }

  log() { return this.logText }

  async kill() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r))
      this.child.kill('SIGKILL')
      await exited
    }
  }

  async stop() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r))
      this.child.kill('SIGTERM')
      await exited
    }
  }

  async remove() {
    await this.stop()
    fs.rmSync(this.dir, { recursive: true, force: true })
  }

  async call(token, method, pathname, body) {
    const headers = { Authorization: `Bearer ${token}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(this.url + pathname, { method, headers, body: body === undefined ? (method === 'GET' ? undefined : '') : JSON.stringify(body) })
    const text = await res.text()
    let json = null
    try { json = text ? JSON.parse(text) : null } catch { json = text }
    return { status: res.status, json, text }
  }

  // Creates a post on `account` (due now) and approves it; returns its id.
  async submit(account, text, media = []) {
    const created = await this.call(EDITOR, 'POST', '/v1/posts', { account, text, media })
    if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`)
    const approved = await this.call(MANAGER, 'POST', `/v1/posts/${created.json.id}/approve`)
    if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${approved.text}`)
    return created.json.id
  }

  async post(id) {
    const r = await this.call(MANAGER, 'GET', `/v1/posts/${id}`)
    if (r.status !== 200) throw new Error(`get post ${id}: ${r.status} ${r.text}`)
    return r.json
  }

  // Waits until the post leaves `states` (default: scheduled and publishing).
  async settle(id, { timeoutMs = 30000, states = ['scheduled', 'publishing'] } = {}) {
    const deadline = Date.now() + timeoutMs
    let post
    for (;;) {
      post = await this.post(id)
      if (!states.includes(post.state) || Date.now() > deadline) return post
      await sleep(100)
    }
  }

  async audit(id) {
    const r = await this.call(MANAGER, 'GET', `/v1/audit?post=${id}`)
    return r.json
  }
}
