// Starts the reference AT Protocol server on loopback for the real-server tier:
// a PLC directory (@did-plc/server, in-memory database) and a PDS (@atproto/pds,
// SQLite and blobs in a temporary folder) on free ports, with the PDS's own rate
// limits on. Creates the accounts named in argv (handle:password, handles under
// .test, .bsky.social or .example.com), gives each an app password, and prints
// one JSON line: {"pds","plc","control","accounts":{handle:{did,password,appPassword}}}.
//
// The control port answers POST /clock?advance=SECONDS: the PDS process's clock
// (Date and Date.now, which the PDS's token checks and rate limiters read) moves
// forward, so an access token expires without waiting two hours.
// Runs until SIGTERM, SIGINT or the end of its standard input (so that it
// does not outlive a test runner that died).
import http from 'node:http'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(process.env.HERALD_REAL_NODE_MODULES + '/')
const plc = require('@did-plc/server')
const { PDS, envToCfg, envToSecrets } = await import(require.resolve('@atproto/pds'))
const { Secp256k1Keypair } = await import(require.resolve('@atproto/crypto'))
const { AtpAgent } = await import(require.resolve('@atproto/api'))

let clockOffsetMs = 0
const RealDate = Date
class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + clockOffsetMs)
    else super(...args)
  }
  static now() { return RealDate.now() + clockOffsetMs }
}
globalThis.Date = ShiftedDate

function freePort() {
  return new Promise((resolve, reject) => {
    const s = http.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
  })
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-pds-'))
const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: await freePort() })
await plcServer.start()
const plcUrl = `http://127.0.0.1:${plcServer.server.address().port}`

const pdsPort = await freePort()
const rotationKey = await Secp256k1Keypair.create({ exportable: true })
const env = {
  port: pdsPort,
  hostname: 'localhost',
  devMode: true,
  dataDirectory: dir,
  blobstoreDiskLocation: path.join(dir, 'blobs'),
  didPlcUrl: plcUrl,
  serviceHandleDomains: ['.test', '.bsky.social', '.example.com'],
  jwtSecret: crypto.randomBytes(16).toString('hex'),
  adminPassword: crypto.randomBytes(16).toString('hex'),
  plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotationKey.export()).toString('hex'),
  inviteRequired: false,
  rateLimitsEnabled: true,
  crawlers: [],
}
const pds = await PDS.create(envToCfg(env), envToSecrets(env))
await pds.start()
const pdsUrl = `http://localhost:${pdsPort}`

const accounts = {}
for (const spec of process.argv.slice(2)) {
  const [handle, password] = spec.split(':')
  const agent = new AtpAgent({ service: pdsUrl })
  await agent.createAccount({ handle, password, email: `${handle}@mail.test` })
  const { data } = await agent.com.atproto.server.createAppPassword({ name: 'herald' })
  accounts[handle] = { did: agent.session.did, password, appPassword: data.password }
}

const control = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://control')
  if (req.method === 'POST' && url.pathname === '/clock') {
    clockOffsetMs += Number(url.searchParams.get('advance') ?? 0) * 1000
    res.end(JSON.stringify({ offsetSeconds: clockOffsetMs / 1000 }))
    return
  }
  res.statusCode = 404
  res.end()
})
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve))

console.log(JSON.stringify({ pds: pdsUrl, plc: plcUrl, control: `http://127.0.0.1:${control.address().port}`, accounts }))

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  control.close()
  await pds.destroy()
  await plcServer.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.resume()
