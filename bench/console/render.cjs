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
    const fetches = [];
    const fromChanges = async (click) => {
      const before = await page.getAttribute('#view > .page', 'data-from');
      await page.click(click);
      await page.waitForFunction((b) => document.querySelector('#view > .page').dataset.from !== b, before);
    };
    await page.evaluate(() => { location.hash = 'plan'; });
    await page.locator('.calendar').waitFor();
    await page.locator('button:has-text("month")').click();
    await page.locator('.calendar.month').waitFor();
    for (let run = 0; run < RUNS; run++) {
      // Timed in the page: from the click to the first frame after the grid is built.
      const ms = await page.evaluate(() => new Promise((resolve) => {
        const view = document.querySelector('#view > .page');
        const before = view.dataset.from;
        const t0 = performance.now();
        document.querySelector('button[aria-label=Later]').click();
        const check = () => {
          if (view.dataset.from === before) return setTimeout(check, 2);
          requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
        };
        check();
      }));
      const shown = await page.evaluate(() => [document.querySelector('#view > .page').dataset.posts, document.querySelectorAll('.calendar.month .card').length]);
      if (shown[0] !== String(POSTS) || shown[1] !== POSTS) throw new Error(`the month shows ${shown.join(' posts, ')} cards, not ${POSTS}`);
      totals.push(Math.round(ms));
      builds.push(Number(await page.evaluate(() => document.querySelector('#view > .page').dataset.renderMs)));
      fetches.push(Number(await page.evaluate(() => document.querySelector('#view > .page').dataset.fetchMs)));
      await fromChanges('button[aria-label=Earlier]');
    }
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log(`month view, ${POSTS} posts, ${RUNS} runs`);
    console.log(`  from click to painted grid (4 API pages of 500 + render): median ${median(totals)} ms, all ${totals.join(' ')}`);
    console.log(`  of which the API pages (fetch + JSON):            median ${median(fetches)} ms, all ${fetches.join(' ')}`);
    console.log(`  of which the DOM build of the grid:               median ${median(builds)} ms, all ${builds.join(' ')}`);
    if (median(totals) >= 1000) process.exitCode = 1;
  } finally {
    await browser.close();
    await herald.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
