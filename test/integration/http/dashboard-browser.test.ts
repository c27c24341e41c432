// The dashboard in a real browser: playwright-core driving Debian's Chromium
// (/usr/bin/chromium, or PARTITA_CHROMIUM; .ci/run installs the `chromium`
// package when it is missing) against a running memory app served with the
// admin API. The lanes view shows the app's lanes; a lane paused through the
// API shows `paused` within a second; a dead letter is found by its reason and
// redriven from the page, then handled by the group that failed it only. A
// screenshot of the lanes view is written to test-results/dashboard/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createConsoleLogger,
  NonRetryableError,
  createApp,
  defineHandler,
  type App,
  type Logger,
  type Message,
} from '@partita/core';
import { serve, type ServedApp } from '@partita/http';
import { createMemoryBroker, memoryTransport, type MemoryBroker } from '@partita/memory';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.PARTITA_CHROMIUM ?? '/usr/bin/chromium';
const TOKEN = 'browser-test-token-0123456789';
const OUT_DIR = fileURLToPath(new URL('../../../test-results/dashboard/', import.meta.url));
const quiet: Logger = createConsoleLogger({ level: 'silent' });

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the dashboard in Chromium', () => {
  const topic = `orders-${Math.random().toString(36).slice(2, 8)}`;
  const handled = { billing: [] as string[], audit: [] as string[] };
  let failing = true;
  let broker: MemoryBroker;
  let app: App;
  let server: ServedApp;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
    broker = createMemoryBroker({ defaultPartitions: 2 });
    const transport = memoryTransport(broker);
    app = createApp({
      transport,
      logger: quiet,
      handlers: [
        defineHandler<string>({
          name: 'billing',
          topic,
          handle: (m: Message<string>) => {
            if (failing && m.value.startsWith('poison')) throw new NonRetryableError(`cannot bill ${m.value}`);
            handled.billing.push(m.value);
          },
        }),
        defineHandler<string>({
          name: 'audit',
          topic,
          handle: (m: Message<string>) => {
            handled.audit.push(m.value);
          },
        }),
      ],
    });
    server = await serve(app, { port: 0, admin: { transport, token: TOKEN } });
    await app.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    // Counts the page's completed polls of the app's state (window.__polls), to tell which poll showed a change.
    // (Strings: the tests compile without the DOM's types.)
    await page.addInitScript({
      content: `window.__polls = 0;
        const original = window.fetch.bind(window);
        window.fetch = async (input, init) => {
          const res = await original(input, init);
          if (String(input).endsWith('api/app')) window.__polls++;
          return res;
        };`,
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.stop({ drainTimeoutMs: 2000 });
    await broker?.close();
  });

  /** What the page functions below read of the page (the tests compile without the DOM's types). */
  interface PageGlobals {
    readonly __polls: number;
    readonly document: { querySelector(selector: string): unknown };
  }

  const laneRow = (handler: string, partition: number) =>
    page.locator(`tr[data-lane="${handler}/${topic}/${partition}"]`);

  it('shows the lanes of the running app with their lane machine, and writes a screenshot', async () => {
    await page.goto(server.url);
    await page.locator('[data-testid=lane-row]').nth(3).waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=lane-row]').count()).toBe(4);
    expect(await page.locator('[data-testid=app-state]').textContent()).toBe('running');
    const row = laneRow('billing', 0);
    expect(await row.locator('[data-testid=lane-state]').textContent()).toMatch(/^running/);
    expect(await row.locator('.pill.on[data-state="life.running"]').count()).toBe(1);
    expect(await row.locator('.pill.on[data-state="flow.open"]').count()).toBe(1);
    expect(await row.locator('.pill[data-state="flow.paused"]:not(.on)').count()).toBe(1);

    await app.publish(Array.from({ length: 50 }, (_, n) => ({ topic, partition: n % 2, value: `m${n}` })));
    await until('handled', () => handled.audit.length === 50);
    await until(
      'totals shown',
      async () => (await page.locator('[data-testid=total-succeeded] b').textContent()) === '100',
    );
    await mkdir(OUT_DIR, { recursive: true });
    const shot = join(OUT_DIR, 'lanes.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard screenshot: ${shot}`);
    expect(existsSync(shot)).toBe(true);
  });

  it('a lane paused through the API shows paused at the next poll (500 ms); the page refuses a write without the token', async () => {
    const res = await fetch(`${server.url}/api/lanes/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ handler: 'audit', partition: 1 }),
    });
    expect(res.status).toBe(200);
    const state = laneRow('audit', 1).locator('[data-testid=lane-state]');
    // The page polls every 500 ms, so "paused within a second" means: the first poll that started after the
    // pause shows it. Counted in polls (a poll in flight during the pause may predate it), not in wall-clock
    // time, which a loaded CI machine stretches.
    const pollsAtPause = await page.evaluate(() => (globalThis as unknown as PageGlobals).__polls);
    const pollThatShowed = await page.waitForFunction(
      (selector) => {
        const g = globalThis as unknown as PageGlobals;
        return g.document.querySelector(selector) !== null && g.__polls;
      },
      `tr[data-lane="audit/${topic}/1"][data-state="paused"]`,
      { polling: 'raf', timeout: 20_000 },
    );
    expect(await pollThatShowed.jsonValue()).toBeLessThanOrEqual(pollsAtPause + 2);
    expect(await state.textContent()).toBe('paused (operator)');
    expect(await laneRow('audit', 1).locator('.pill.on[data-state="flow.paused"]').count()).toBe(1);
    expect(await laneRow('audit', 0).getAttribute('data-state')).not.toBe('paused');

    // Resume from the page: without the token it is refused and says why; with it, the lane runs again.
    const toggle = laneRow('audit', 1).locator('[data-testid=lane-toggle]');
    expect(await toggle.textContent()).toBe('Resume');
    await toggle.click();
    await page.locator('#message.error').waitFor({ timeout: 10_000 });
    expect(await page.locator('#message').textContent()).toMatch(/no admin token is configured|admin token/);
    expect(app.inspect().lanes.find((l) => l.handler === 'audit' && l.partition === 1)?.pauseReason).toBe('operator');
    await page.fill('#token', TOKEN);
    await page.click('#token-form button[type=submit]');
    await toggle.click();
    await page.locator(`tr[data-lane="audit/${topic}/1"]:not([data-state="paused"])`).waitFor({ timeout: 10_000 });
    expect(app.inspect().lanes.find((l) => l.handler === 'audit' && l.partition === 1)?.pauseReason).toBeUndefined();
  });

  it('finds a dead letter by its reason and redrives it from the page (dry run first); the failing group handles it', async () => {
    const dlq = `${topic}.dlq`;
    await app.publish([
      { topic, key: 'k-ok', value: 'fine' },
      { topic, key: 'k-bad', value: 'poison-7' },
    ]);
    await until('dead-lettered', () => app.inspect().metrics.deadLettered === 1 && handled.audit.length === 52);
    await page.click('[data-tab=dead-letters]');
    await until(
      'dead-letter topic listed',
      async () => (await page.locator(`#dl-topic option[value="${dlq}"]`).count()) === 1,
    );
    await page.selectOption('#dl-topic', dlq);
    await page.fill('#dl-reason', 'max-retries');
    await page.click('#dl-find');
    await until('no max-retries dead letters', async () =>
      /^0 record/.test((await page.locator('#dl-count').textContent()) ?? ''),
    );
    await page.fill('#dl-reason', 'non-retryable');
    await page.click('#dl-find');
    const row = page.locator('[data-testid=dl-row]');
    await row.first().waitFor({ timeout: 10_000 });
    expect(await row.count()).toBe(1);
    expect(await row.first().textContent()).toContain('k-bad');

    // One record: its headers and payload.
    await row.first().click();
    await page.locator('#dl-detail').waitFor();
    expect(await page.locator('#dl-detail-headers').textContent()).toContain('partita-error-name');
    expect(await page.locator('#dl-detail-payload').textContent()).toBe('"poison-7"');
    await page.screenshot({ path: join(OUT_DIR, 'dead-letters.png'), fullPage: true });

    await row.first().locator('input[type=checkbox]').check();
    await page.click('#dl-redrive');
    await page.locator('#dl-confirm[data-kind=redrive]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#dl-confirm-text').textContent()).toMatch(
      /Dry run: 1 record\(s\) would be redriven \(1 to group billing\)/,
    );
    expect(handled.billing).not.toContain('poison-7');
    failing = false;
    await page.click('#dl-confirm-go');
    // The redrive's own message (an earlier one, e.g. the resume's, may still be shown for a few seconds).
    await page.locator('#message.info', { hasText: /^redriven/ }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#message').textContent()).toBe('redriven 1 of 1 record(s)');
    await until('billing handled the redriven record', () => handled.billing.includes('poison-7'));
    await until('every lane settled', () => app.inspect().lanes.every((l) => l.lag === 0));
    expect(handled.billing.filter((v) => v === 'poison-7')).toHaveLength(1);
    expect(
      handled.audit.filter((v) => v === 'poison-7'),
      'the other group does not handle the copy',
    ).toHaveLength(1);
    expect(consoleErrors.filter((e) => !/401|Unauthorized/.test(e))).toEqual([]);
  });
});
