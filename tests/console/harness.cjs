// Starts a real `herald serve` (temporary SQLite database and outbox, the
// example policies and tokens, a free loopback port) and Debian's chromium
// through playwright-core, for the console's browser tests and benchmark.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const SOURCE_DIR = path.resolve(__dirname, '../..');
const BUILD_DIR = process.env.HERALD_BUILD_DIR || path.join(SOURCE_DIR, 'build');
const HERALD = process.env.HERALD_BINARY || path.join(BUILD_DIR, 'cli/herald');
const CHROMIUM = process.env.HERALD_CHROMIUM || '/usr/bin/chromium';

// `policies`: a directory of policy files (default: examples/policies);
// `port`: where to listen (default: any free one); `extra`: more lines of the
// server config.
async function startHerald({ policies = path.join(SOURCE_DIR, 'examples/policies'), port = 0, extra = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-console-'));
  const config = path.join(dir, 'herald.yaml');
  fs.writeFileSync(config, [
    `listen: 127.0.0.1:${port}`,
    `storage: sqlite:${path.join(dir, 'herald.db')}`,
    `policies: ${policies}`,
    `tokens: ${path.join(SOURCE_DIR, 'examples/tokens.json')}`,
    `outbox: ${path.join(dir, 'outbox')}`,
    'max_accounts: { acme: 10, globex: 10 }',
    'log: { level: info, format: text }',
    'shutdown_grace: 2s',
    ...extra,
    '',
  ].join('\n'));
  const child = spawn(HERALD, ['serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`herald did not start in 20 s:\n${log}`)), 20000);
    const seen = (chunk) => {
      log += chunk;
      const m = /listening on ([\d.]+:\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(`http://${m[1]}`); }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`herald exited ${code}:\n${log}`)); });
  });
  child.stdout.on('data', (c) => { log += c; });
  child.stderr.on('data', (c) => { log += c; });
  return {
    url,
    dir,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timezoneId: 'Europe/Berlin',
    locale: 'en-GB',
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// A JSON API call with a token, for setting up what the browser then sees.
async function call(base, token, method, pathname, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + pathname, { method, headers, body: body === undefined ? (method === 'GET' ? undefined : '') : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

// Signs `page` in with `token` (signing out first when signed in), and waits
// until the header names `expectWho`.
async function signInAs(page, token, expectWho) {
  if (await page.locator('#sign-out').isVisible()) await page.click('#sign-out');
  await page.fill('#token', token);
  await page.click('#sign-in button[type=submit]');
  await page.locator('#who-text').filter({ hasText: expectWho }).waitFor();
}

// A loopback port free now (for a config that must name its own address).
function freePort() {
  const net = require('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

module.exports = { startHerald, launchBrowser, call, freePort, signInAs, SOURCE_DIR, BUILD_DIR };
