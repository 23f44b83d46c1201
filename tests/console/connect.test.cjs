// The console's Connect button in a real browser (Debian's chromium, headless)
// against a real `herald serve` and a fake LinkedIn authorization server that
// approves at once by redirect, as LinkedIn's documented flow goes: the
// button is there for a manager and not for an editor; clicking it leads
// through the platform's authorization page back to herald's callback, whose
// page links back to the console, where the account then shows connected.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { startHerald, launchBrowser, freePort, BUILD_DIR, signInAs } = require('./harness.cjs');

const SHOTS = process.env.HERALD_SCREENSHOTS || path.join(BUILD_DIR, 'console-screenshots');
const MANAGER = 'hrld_example_acme_manager';
const EDITOR = 'hrld_example_acme_editor';
const CLIENT_SECRET = 'console-li-secret-93ad1';

let fake;
let fakeUrl;
let herald;
let browser;
let page;
let dir;
const issued = [];  // every access token the fake gave out
let authorizations = 0;

function startFake() {
  const codes = new Map();  // code -> redirect_uri, spent by its first exchange
  fake = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/oauth/v2/authorization') {
      authorizations += 1;
      const redirect = url.searchParams.get('redirect_uri');
      if (url.searchParams.get('response_type') !== 'code' || url.searchParams.get('client_id') !== 'console-li' || !redirect) {
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end('invalid_request');
        return;
      }
      const code = `licode-${Math.random().toString(16).slice(2)}`;
      codes.set(code, redirect);
      const target = new URL(redirect);
      target.searchParams.set('code', code);
      target.searchParams.set('state', url.searchParams.get('state'));
      res.writeHead(302, { Location: target.toString() }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/oauth/v2/accessToken') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const redirect = codes.get(form.get('code'));
        codes.delete(form.get('code'));
        if (form.get('client_secret') !== CLIENT_SECRET || !redirect || redirect !== form.get('redirect_uri')) {
          res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request' }));
          return;
        }
        const token = `liacc-${Math.random().toString(16).slice(2)}`;
        issued.push(token);
        res.writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ access_token: token, expires_in: 5184000, scope: 'w_member_social' }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve) => fake.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${fake.address().port}`)));
}

const signIn = (token, expectWho) => signInAs(page, token, expectWho);

async function openAccounts() {
  await page.evaluate(() => { location.hash = 'accounts'; });
  await page.locator('#view > .page[data-view="accounts"][data-ready]').waitFor();
}

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  fakeUrl = await startFake();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-console-connect-'));
  fs.mkdirSync(path.join(dir, 'policies'));
  fs.writeFileSync(path.join(dir, 'policies/acme.yaml'), [
    'version: 1', 'organization: acme', 'timezone: UTC', 'accounts:', '  list:',
    '    - id: acme-linkedin', '      platform: linkedin', '      connector:', `        base_url: ${fakeUrl}`,
    '        auth: oauth', '        author: "urn:li:organization:5515715"',
    '    - id: acme-hook', '      platform: file',
    'frequency:', '  default:', '    min_spacing: 0s', '  max_delay: 48h', '  missed_after: 30m', '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'token-key'), '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n');
  fs.writeFileSync(path.join(dir, 'client-secret'), CLIENT_SECRET + '\n');
  const port = await freePort();
  herald = await startHerald({
    policies: path.join(dir, 'policies'),
    port,
    extra: [
      'token_keys:', '  current: k1', '  keys:', `    k1: file:${path.join(dir, 'token-key')}`,
      'oauth:', '  linkedin:', '    client_id: console-li', `    client_secret: file:${path.join(dir, 'client-secret')}`,
      `    redirect_uri: http://127.0.0.1:${port}/v1/oauth/callback`,
      `    authorize_url: ${fakeUrl}/oauth/v2/authorization`, `    token_url: ${fakeUrl}/oauth/v2/accessToken`,
    ],
  });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.goto(herald.url + '/');
});

test.after(async () => {
  if (browser) await browser.close();
  if (herald) await herald.stop();
  if (fake) fake.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('an editor sees how accounts are connected, and no Connect button', async () => {
  await signIn(EDITOR, 'acme-editor');
  await openAccounts();
  const account = page.locator('article[data-id="acme-linkedin"] p.connection');
  await account.waitFor();
  assert.equal(await account.getAttribute('data-state'), 'not_connected');
  assert.match(await account.textContent(), /Not connected yet/);
  assert.equal(await page.locator('article[data-id="acme-linkedin"] button', { hasText: 'Connect' }).count(), 0);
  assert.match(await page.locator('article[data-id="acme-hook"] p.connection').textContent(), /Credentials from the policy/);
});

test('a manager connects the account through the platform and comes back to it connected', async () => {
  await signIn(MANAGER, 'acme-manager');
  await openAccounts();
  const button = page.locator('article[data-id="acme-linkedin"] button', { hasText: 'Connect' });
  await button.waitFor();
  assert.equal(await page.locator('article[data-id="acme-hook"] button').count(), 0);  // a static token has none
  await page.screenshot({ path: path.join(SHOTS, 'accounts-connect.png') });
  await Promise.all([page.waitForURL(/\/v1\/oauth\/callback/), button.click()]);
  assert.equal(authorizations, 1);
  await page.locator('h1', { hasText: 'Account connected' }).waitFor();
  assert.match(await page.locator('body').textContent(), /acme-linkedin/);
  await page.screenshot({ path: path.join(SHOTS, 'oauth-callback.png') });
  await page.click('a:has-text("Back to the console")');
  await page.locator('#view > .page[data-view="accounts"][data-ready]').waitFor();
  const connection = page.locator('article[data-id="acme-linkedin"] p.connection');
  await connection.waitFor();
  assert.equal(await connection.getAttribute('data-state'), 'connected');
  assert.match(await connection.textContent(), /Connected · token expires/);
  assert.equal(await page.locator('article[data-id="acme-linkedin"] button', { hasText: 'Reconnect' }).count(), 1);
  const html = await page.content();
  for (const token of issued) assert.ok(!html.includes(token), 'no token in the page');
  assert.ok(!herald.log().includes(CLIENT_SECRET));
  for (const token of issued) assert.ok(!herald.log().includes(token), 'no token in the log');
});
