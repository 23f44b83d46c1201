// The console's Inbox view in a real browser (Debian's chromium, headless)
// against a real `herald serve` reading a Mastodon fake (the tests' fake as a
// program, `herald-mastodon-fake`) that holds two mentions: the daemon reads
// and routes them; an editor sees both with their departments, has a reply
// with a banned term refused with the rule shown and nothing sent, answers
// the refund question in its thread (the fake receives exactly one status,
// in reply to the mention, and the item becomes answered), dismisses and
// reopens another; a reply in a department whose answers need approval waits
// in the manager's Approvals view, marked as a reply, and goes out once
// approved; a viewer reads without any way to act; another organisation sees
// nothing.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startHerald, launchBrowser, BUILD_DIR, signInAs } = require('./harness.cjs');

const SHOTS = process.env.HERALD_SCREENSHOTS || path.join(BUILD_DIR, 'console-screenshots');
const FAKE = path.join(BUILD_DIR, 'tests/herald-mastodon-fake');
const EDITOR = 'hrld_example_acme_editor';
const MANAGER = 'hrld_example_acme_manager';
const VIEWER = 'hrld_example_acme_viewer';
const GLOBEX = 'hrld_example_globex_admin';

let fake;
let printed = '';  // what the fake printed: its address, the mentions, each status it received
let herald;
let browser;
let page;
let dir;

function lines() {
  return printed.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}
const mentions = () => lines().filter((l) => l.mention);
const statuses = () => lines().filter((l) => l.status);

function startFake() {
  fake = spawn(FAKE, ['carol@other.social: Where is my REFUND?', 'dave@elsewhere.social: Nice launch today',
    'erin@law.example: My lawyer will write to you'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  fake.stdout.on('data', (c) => { printed += c; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Mastodon fake did not start:\n${printed}`)), 10000);
    const check = () => {
      const m = /mastodon fake on (http:\/\/[\d.:]+)/.exec(printed);
      if (m && mentions().length === 3) { clearTimeout(timer); resolve(m[1]); } else setTimeout(check, 50);
    };
    check();
  });
}

const signIn = (token, expectWho) => signInAs(page, token, expectWho);

async function openInbox() {
  await page.evaluate(() => { location.hash = 'plan'; });
  await page.locator('#view > .page[data-view="plan"][data-ready]').waitFor();
  await page.click('#nav a[data-view="inbox"]');
  await page.locator('#view > .page[data-view="inbox"][data-ready]').waitFor();
}

// Clicks Refresh until `done()` holds (the daemon reads and publishes on its own time).
async function until(done, what, ms = 20000) {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await page.click('#view button:has-text("Refresh")');
    await page.waitForTimeout(250);
  }
}

const item = (text) => page.locator('article.inbox-item', { hasText: text });

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const url = await startFake();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-console-inbox-'));
  fs.mkdirSync(path.join(dir, 'policies'));
  fs.writeFileSync(path.join(dir, 'mastodon-token'), 'mastodon-token\n');
  fs.writeFileSync(path.join(dir, 'policies/acme.yaml'), [
    'version: 1', 'organization: acme', 'timezone: UTC', 'accounts:', '  list:',
    '    - id: acme-toot', '      platform: mastodon', '      connector:', `        base_url: ${url}`,
    `        token: file:${path.join(dir, 'mastodon-token')}`,
    'frequency:', '  default:', '    min_spacing: 0s', '  max_delay: 48h', '  missed_after: 30m',
    'content:', '  banned_terms: [RivalCorp]',
    'approval: { required: false }',
    'inbox:', '  departments:',
    '    - name: legal', '      keywords: [lawyer]', '      approval: required',
    '    - name: support', '      keywords: [refund]', '      answer_within: 4h', '      approval: none',
    '    - name: general', '      answer_within: 1s', '      approval: none',
    '  default: general', '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'policies/globex.yaml'), [
    'version: 1', 'organization: globex', 'timezone: UTC', 'accounts:', '  list:',
    '    - id: globex-file', '      platform: file', '',
  ].join('\n'));
  herald = await startHerald({
    policies: path.join(dir, 'policies'),
    extra: ['inbox: { read_every: 1s }', 'engagement: { enabled: false }'],
  });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.goto(herald.url + '/');
});

test.after(async () => {
  if (browser) await browser.close();
  if (herald) await herald.stop();
  if (fake) fake.kill('SIGTERM');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('an editor sees what people wrote, routed to departments, the overdue one flagged', async () => {
  await signIn(EDITOR, 'acme-editor');
  await openInbox();
  await until(async () => (await page.locator('article.inbox-item').count()) === 3, 'the three mentions read');
  const refund = item('Where is my REFUND?');
  assert.match(await refund.textContent(), /carol@other\.social/);
  assert.match(await refund.textContent(), /support/);
  assert.equal(await refund.getAttribute('data-state'), 'open');
  // The general department's answer target is one second: overdue by now.
  await until(async () => (await item('Nice launch today').getAttribute('class')).includes('overdue'), 'the overdue flag');
  assert.match(await item('Nice launch today').textContent(), /general.*overdue/s);
  assert.match(await item('My lawyer').textContent(), /legal/);
  assert.match(await page.locator('#view h2').textContent(), /Inbox · 3 .*1 overdue/);
  await page.screenshot({ path: path.join(SHOTS, 'inbox.png') });
});

test('a reply with a banned term is refused with the rule, and nothing is sent', async () => {
  const refund = item('Where is my REFUND?');
  await refund.locator('textarea').fill('Ask RivalCorp instead');
  await refund.locator('button[type=submit]').click();
  const status = refund.locator('p[role=status].error');
  await status.waitFor();
  assert.match(await status.textContent(), /RivalCorp/);
  assert.match(await status.textContent(), /banned/);
  assert.equal(statuses().length, 0);
  assert.equal(await refund.getAttribute('data-state'), 'open');
});

test('the editor answers in the thread: one status in reply to the mention, the item answered', async () => {
  const refund = item('Where is my REFUND?');
  await refund.locator('textarea').fill('Your refund left today, Carol');
  await refund.locator('button[type=submit]').click();
  await page.locator('#toast', { hasText: /Reply \d+/ }).waitFor();
  await page.selectOption('#view select', 'answered');
  await until(async () => (await item('Where is my REFUND?').locator('p.reply-state[data-state="published"]').count()) === 1,
    'the reply published');
  assert.equal(await item('Where is my REFUND?').getAttribute('data-state'), 'answered');
  // The fake prints what it received every 200 ms; a second status would show by then too.
  for (const end = Date.now() + 5000; statuses().length === 0 && Date.now() < end;) await page.waitForTimeout(100);
  await page.waitForTimeout(500);
  const sent = statuses();
  assert.equal(sent.length, 1);
  assert.equal(sent[0].text, 'Your refund left today, Carol');
  const carol = mentions().find((m) => m.text === 'Where is my REFUND?');
  assert.equal(sent[0].in_reply_to_id, carol.mention);
  // Answered items leave the to-do list.
  await page.selectOption('#view select', 'todo');
  await until(async () => (await page.locator('article.inbox-item').count()) === 2, 'the to-do list without it');
});

test('dismissing moves an item out of the to-do list; reopening brings it back', async () => {
  await item('Nice launch today').locator('button', { hasText: 'Dismiss' }).click();
  await page.locator('#toast', { hasText: 'dismissed' }).waitFor();
  await until(async () => (await item('Nice launch today').count()) === 0, 'the to-do list without it');
  await page.selectOption('#view select', 'dismissed');
  await until(async () => (await item('Nice launch today').count()) === 1, 'the dismissed item');
  assert.equal(await item('Nice launch today').locator('textarea').count(), 0);  // reopen to answer
  await item('Nice launch today').locator('button', { hasText: 'Reopen' }).click();
  await page.locator('#toast', { hasText: 'reopened' }).waitFor();
  await page.selectOption('#view select', 'todo');
  await until(async () => (await item('Nice launch today').getAttribute('data-state')) === 'open', 'the reopened item');
  assert.equal(statuses().length, 1);
});

test('a reply that needs approval waits in the manager\'s queue, marked as a reply, and goes out approved', async () => {
  const lawyer = item('My lawyer will write to you');
  await lawyer.locator('textarea').fill('Our counsel will answer you by mail');
  await lawyer.locator('button[type=submit]').click();
  await page.locator('#toast', { hasText: /waits for approval/ }).waitFor();
  await until(async () => (await item('My lawyer').locator('p.reply-state[data-state="pending_approval"]').count()) === 1,
    'the item showing its reply waiting');
  assert.equal(await item('My lawyer').getAttribute('data-state'), 'open');
  assert.equal(statuses().length, 1);

  await signIn(MANAGER, 'acme-manager');
  await page.evaluate(() => { location.hash = 'approvals'; });
  await page.locator('#view > .page[data-view="approvals"][data-ready]').waitFor();
  const queued = page.locator('article', { hasText: 'Our counsel will answer you by mail' });
  await queued.waitFor();
  assert.match(await queued.textContent(), /A reply to inbox item \d+/);
  await page.screenshot({ path: path.join(SHOTS, 'approvals-reply.png') });
  await queued.locator('button', { hasText: 'Approve' }).click();
  await page.locator('#toast', { hasText: /approved/ }).waitFor();
  for (const end = Date.now() + 15000; statuses().length < 2 && Date.now() < end;) await page.waitForTimeout(100);
  const sent = statuses();
  assert.equal(sent.length, 2);
  assert.equal(sent[1].in_reply_to_id, mentions().find((m) => m.text.startsWith('My lawyer')).mention);
  await openInbox();
  await page.selectOption('#view select', 'answered');
  await until(async () => (await item('My lawyer').getAttribute('data-state')) === 'answered', 'the legal item answered');
  await page.selectOption('#view select', 'todo');
});

test('a viewer reads the inbox but cannot act; another organisation sees none of it', async () => {
  await signIn(VIEWER, 'acme-viewer');
  await openInbox();
  await until(async () => (await item('Nice launch today').count()) === 1, 'the viewer\'s list');
  const launch = item('Nice launch today');
  assert.equal(await launch.locator('button').count(), 0);
  assert.equal(await launch.locator('textarea').count(), 0);
  assert.match(await launch.textContent(), /Only those who answer for general may handle it/);

  await signIn(GLOBEX, 'globex-admin');
  await openInbox();
  await page.locator('#view .inbox-list p.muted', { hasText: 'Nothing here.' }).waitFor();
  assert.equal(await page.locator('article.inbox-item').count(), 0);
  const html = await page.content();
  assert.ok(!html.includes('REFUND'));
});
