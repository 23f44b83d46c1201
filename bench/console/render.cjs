// The month view with 2,000 posts: time from asking for the month to the
// finished grid (API pages included), and the page's own DOM build, five runs.
'use strict';
const path = require('node:path');
const { startHerald, launchBrowser, call } = require('../../tests/console/harness.cjs');

const POSTS = 2000;
const RUNS = 5;
const ACCOUNTS = ['acme-mastodon', 'acme-bluesky', 'acme-linkedin', 'acme-discord'];

async function main() {
  const herald = await startHerald({ policies: path.join(__dirname) });
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(herald.url + '/');
    // The first day of next month, 06:00 in Berlin (the browser's zone).
    const start = Date.parse(await page.evaluate(() => {
      const d = new Date();
      return new Date(d.getFullYear(), d.getMonth() + 1, 1, 6).toISOString();
    }));
    const step = Math.floor((27 * 86400000) / (POSTS / ACCOUNTS.length));
    let next = 0;
    const createdAt = Date.now();
    const worker = async () => {
      while (next < POSTS) {
        const i = next++;
        const account = ACCOUNTS[i % ACCOUNTS.length];
        const at = new Date(start + Math.floor(i / ACCOUNTS.length) * step).toISOString().replace(/\.\d+Z$/, 'Z');
        const r = await call(herald.url, 'hrld_example_acme_editor', 'POST', '/v1/posts', { account, text: `Post ${i} of the benchmark #bench`, at, labels: ['bench'] });
        if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${JSON.stringify(r.json)}`);
      }
    };
    await Promise.all([...Array(8)].map(worker));
    console.log(`created ${POSTS} posts in ${((Date.now() - createdAt) / 1000).toFixed(1)} s`);

    await page.fill('#token', 'hrld_example_acme_viewer');
    await page.click('#sign-in button[type=submit]');
    await page.locator('#who-text').filter({ hasText: 'acme-viewer' }).waitFor();
    const totals = [];
    const builds = [];
    for (let run = 0; run < RUNS; run++) {
      await page.evaluate(() => { location.hash = 'audit'; });
      await page.locator('h2', { hasText: 'Audit' }).waitFor();
      await page.evaluate(() => { location.hash = 'plan'; });
      await page.locator('button:has-text("month")').click();
      await page.locator('.calendar.month').waitFor();
      const t0 = Date.now();
      await page.click('button[aria-label=Later]');
      await page.waitForFunction((n) => document.getElementById('view').dataset.posts === String(n) &&
        document.querySelectorAll('.calendar.month .card').length === n, POSTS, { polling: 'raf' });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
      totals.push(Date.now() - t0);
      builds.push(Number(await page.evaluate(() => document.getElementById('view').dataset.renderMs)));
    }
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log(`month view, ${POSTS} posts, ${RUNS} runs`);
    console.log(`  from click to painted grid (10 API pages + render): median ${median(totals)} ms, all ${totals.join(' ')}`);
    console.log(`  DOM build of the grid alone:                      median ${median(builds)} ms, all ${builds.join(' ')}`);
    if (median(totals) >= 1000) process.exitCode = 1;
  } finally {
    await browser.close();
    await herald.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
