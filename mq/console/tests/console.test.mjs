// Browser test of the mqconsole web UI: a headless Chromium (playwright-core,
// the system's browser) drives the pages of a running mqconsole against a
// running cluster, and mqadmin makes the traffic the pages must show.
//
//   CONSOLE_URL=http://127.0.0.1:8089 CONSOLE_TOKEN=t MQADMIN=build/mq/tools/mqadmin \
//   NAMESRV=127.0.0.1:9876 [CHROMIUM=/usr/bin/chromium] [SHOT_DIR=dir] node console.test.mjs
//
// Prints "ok - STEP" per step and "N passed, N failed" at the end; the first
// failing step prints "not ok - STEP" with the reason and exits 1.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = process.env;
const missing = ['CONSOLE_URL', 'CONSOLE_TOKEN', 'MQADMIN', 'NAMESRV'].filter((k) => !env[k]);
if (missing.length) {
  console.error(`console.test: set ${missing.join(', ')} (see the comment at the top of this file)`);
  process.exit(1);
}
const BASE = env.CONSOLE_URL.replace(/\/+$/, '');
const TOKEN = env.CONSOLE_TOKEN;
const CHROMIUM = env.CHROMIUM || '/usr/bin/chromium';
const SHOT_DIR = env.SHOT_DIR || '';
const WAIT = 15000;

const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const topic = `ConsoleT${tag}`;
const group = `ConsoleG${tag}`;
const key = `ck${tag}`;

function mqadmin(...args) {
  try {
    return execFileSync(env.MQADMIN, [args[0], '-n', env.NAMESRV, ...args.slice(1)],
      { encoding: 'utf8', timeout: 120000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`mqadmin ${args.join(' ')} failed (${e.status ?? e.signal}): ${(e.stderr || '').trim() || (e.stdout || '').trim() || e.message}`);
  }
}

// Polls fn until it returns a truthy value; the error tells what was last seen.
async function until(what, fn, timeout = WAIT, every = 500) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.setDefaultTimeout(WAIT);
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('response', (r) => {
  if (r.url().includes('/api/') && r.status() >= 500) problems.push(`${r.request().method()} ${r.url()} → HTTP ${r.status()}`);
});
page.on('dialog', (d) => d.accept()); // no step confirms anything, but never hang on one

const go = (hash) => page.goto(`${BASE}/${hash}`);
const text = async (sel) => ((await page.locator(sel).first().textContent({ timeout: 2000 }).catch(() => null)) ?? '').trim();
const rows = (sel) => page.locator(`${sel} tbody tr`);
async function shot(name) {
  if (!SHOT_DIR) return;
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SHOT_DIR, `console-${name}.png`), fullPage: true });
}

let passed = 0;
async function step(name, fn) {
  try {
    await fn();
    assert.deepEqual(problems, [], 'the page reported errors');
  } catch (e) {
    console.log(`not ok - ${name}`);
    console.log(`  ${String(e.message).split('\n').join('\n  ')}`);
    console.log(`  at ${page.url()}; #status: ${JSON.stringify(await text('#status'))}`);
    if (problems.length) console.log(`  ${problems.join('\n  ')}`);
    await shot('failed').catch(() => {});
    await browser.close();
    console.log(`${passed} passed, 1 failed`);
    process.exit(1);
  }
  passed++;
  console.log(`ok - ${name}`);
}

// Clicks a nav link and waits for the page's main table and its data call.
async function nav(link, table, api) {
  await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === api), page.click(link)]);
  await page.locator(`table${table}`).waitFor();
}

let messageHash = '';

await step('every page loads (cluster, topics, groups, messages)', async () => {
  await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/api/cluster'), go('')]);
  await rows('table#brokers').first().waitFor();
  assert.ok((await rows('table#brokers').count()) >= 1, 'table#brokers has no broker row');
  assert.equal(await page.locator('#readonly').isVisible(), false, '#readonly shows though the console has a token');
  await until('canvas#chart-brokers to be drawn', () => page.evaluate(() => {
    const c = document.querySelector('canvas#chart-brokers');
    if (!c || !c.width) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
    return false;
  }));
  await nav('#nav-topics', '#topics', '/api/topics');
  await nav('#nav-groups', '#groups', '/api/groups');
  await page.click('#nav-messages');
  await page.locator('table#messages').waitFor();
  await page.locator('form#query').waitFor();
  await nav('#nav-cluster', '#brokers', '/api/cluster');
  assert.equal(new URL(page.url()).hash, '#/cluster');
});

await step(`create topic ${topic} (4/4 queues) from form#create-topic`, async () => {
  await nav('#nav-topics', '#topics', '/api/topics');
  await page.fill('#token', TOKEN);
  assert.equal(await page.evaluate(() => localStorage.getItem('mqconsole.token')), TOKEN, 'the token is not kept in localStorage');
  const form = page.locator('form#create-topic');
  await form.locator('[name=name]').fill(topic);
  assert.equal(await form.locator('[name=cluster]').inputValue(), 'DefaultCluster');
  await form.locator('[name=readQueueNums]').fill('4');
  await form.locator('[name=writeQueueNums]').fill('4');
  await form.locator('[type=submit]').click();
  await page.waitForFunction((t) => document.querySelector('#status')?.textContent.includes(`topic ${t} updated`), topic);
  assert.ok(!(await page.locator('#status.error').count()), '#status shows an error');
  const link = page.locator('table#topics').getByRole('link', { name: topic, exact: true });
  await until(`${topic} in table#topics`, async () => {
    if (await link.count()) return true;
    await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/api/topics'), page.reload()]);
    return false;
  }, WAIT, 1000);
  await link.click();
  await page.waitForFunction((t) => document.querySelector('main h2')?.textContent === t, topic);
  // 4 queues on every broker of the route (a cluster of two masters: 8).
  await until('4 rows per broker in table#queues', async () => {
    const brokers = await rows('table#route').count();
    if (brokers >= 1 && (await rows('table#queues').count()) === 4 * brokers) return true;
    await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === `/api/topics/${topic}`), page.reload()]);
    return false;
  }, WAIT, 1000).catch(async (e) => { throw new Error(`${e.message}; it has ${await rows('table#queues').count()}`); });
  assert.ok((await rows('table#route').count()) >= 1, 'table#route is empty');
  assert.equal(await text('#total-messages'), '0');
});

await step('a sent message is found by topic and key, and its page shows body, hex and trace', async () => {
  mqadmin('sendMessage', '-t', topic, '-p', 'hello-console', '-k', key, '-c', 'TagA');
  await page.click('#nav-messages');
  await until(`a row for key ${key} in table#messages`, async () => {
    const form = page.locator('form#query');
    await form.locator('[name=topic]').fill(topic);
    await form.locator('[name=key]').fill(key);
    await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/api/messages'), form.locator('[type=submit]').click()]);
    await page.waitForTimeout(200);
    return (await rows('table#messages').count()) > 0;
  }, 20000, 1000);
  const hash = new URL(page.url()).hash;
  assert.ok(hash.startsWith('#/messages?') && hash.includes(`topic=${topic}`) && hash.includes(`key=${key}`), `the query is not in the hash: ${hash}`);
  await page.reload(); // the hash keeps the query
  await rows('table#messages').first().waitFor();
  const row = rows('table#messages').first();
  assert.match(await row.textContent(), /TagA/);
  const a = row.locator('a[href^="#/message/"]');
  messageHash = await a.getAttribute('href');
  await a.click();
  await page.waitForFunction(() => document.querySelector('#message-body')?.textContent.includes('hello-console'));
  const stages = await page.locator('table#trace tbody tr td:first-child').allTextContents();
  assert.ok(stages.map((s) => s.trim()).includes('stored'), `table#trace has no "stored" row: ${JSON.stringify(stages)}`);
  await page.click('#body-mode');
  await page.waitForFunction(() => document.querySelector('#message-body')?.textContent.replace(/\s+/g, '').includes('68656c6c6f'));
});

await step(`consumer lag of ${group} goes 5 → 0 on its page`, async () => {
  mqadmin('consumeMessage', '-t', topic, '-g', group);
  for (let i = 0; i < 5; i++) mqadmin('sendMessage', '-t', topic, '-p', `lag-${i}`, '-k', `${key}-lag`, '-c', 'TagB');
  await go(`#/group/${encodeURIComponent(group)}`);
  await page.locator('#total-lag').waitFor();
  const lagIs = async (want) => {
    try {
      await page.waitForFunction((w) => document.querySelector('#total-lag')?.textContent.trim() === w, want, { timeout: WAIT, polling: 250 });
    } catch {
      throw new Error(`#total-lag is ${JSON.stringify(await text('#total-lag'))}, not ${want}, after ${WAIT / 1000} s`);
    }
  };
  await lagIs('5');
  assert.ok((await rows('table#group-queues').count()) >= 1, 'table#group-queues is empty');
  mqadmin('consumeMessage', '-t', topic, '-g', group);
  await lagIs('0'); // the page refreshes itself
});

await step('without the token a change is refused (401) and shows in #status', async () => {
  await go('#/topics');
  await page.locator('form#create-topic').waitFor();
  await page.fill('#token', '');
  assert.equal(await page.evaluate(() => localStorage.getItem('mqconsole.token')), null, 'a cleared token stays in localStorage');
  const refused = `ConsoleRO${tag}`;
  const form = page.locator('form#create-topic');
  await form.locator('[name=name]').fill(refused);
  const [res] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/topics' && r.request().method() === 'POST'),
    form.locator('[type=submit]').click()]);
  assert.equal(res.status(), 401);
  await page.locator('#status.error').waitFor();
  assert.match(await text('#status'), /401|token/i);
  const list = await (await fetch(`${BASE}/api/topics`)).json();
  assert.ok(!list.topics.some((t) => t.name === refused), `${refused} was created without the token`);
  await page.reload();
  await page.locator('table#topics').getByRole('link', { name: topic, exact: true }).waitFor();
  assert.equal(await page.locator('table#topics').getByRole('link', { name: refused, exact: true }).count(), 0);
});

await step(SHOT_DIR ? `screenshots in ${SHOT_DIR}` : 'screenshots (skipped: SHOT_DIR not set)', async () => {
  if (!SHOT_DIR) return;
  await page.fill('#token', TOKEN);
  const pages = [['cluster', '#/cluster', 'table#brokers tbody tr'], ['topics', '#/topics', 'table#topics tbody tr'],
    ['topic', `#/topic/${encodeURIComponent(topic)}`, 'table#queues tbody tr'], ['groups', '#/groups', 'table#groups tbody tr'],
    ['group', `#/group/${encodeURIComponent(group)}`, 'table#group-queues tbody tr'],
    ['messages', `#/messages?topic=${encodeURIComponent(topic)}&key=${encodeURIComponent(key)}`, 'table#messages tbody tr'],
    ['message', messageHash, 'table#trace tbody tr']];
  for (const [name, hash, sel] of pages) {
    await go(hash);
    await page.locator(sel).first().waitFor();
    await page.waitForTimeout(700); // charts and late rows
    await shot(name);
  }
});

await browser.close();
console.log(`${passed} passed, 0 failed`);
