/**
 * The browser pool's hygiene against the system Chromium: contexts and browsers replaced
 * after their page budgets, a renderer crash failing only its page (retryably), a hung
 * page cut by its deadline, contexts per profile (an anti-blocking session's User-Agent
 * and cookies, the least recently used closed past maxContexts), and no process left
 * once the pool is closed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { isTrawlError } from '../../src/core/errors.js';
import { BrowserPool, deadline, findChromium } from '../../src/fetch/browser/browser-pool.js';
import { noBrowserProcessesOf } from '../support/browser-processes.js';

const chromium = findChromium(process.env.TRAWL_CHROMIUM_PATH);

describe(
  'browser pool',
  { skip: chromium === null ? 'no Chromium installed' : false, timeout: 120_000 },
  () => {
    test('a context every 5 pages, a browser every 12; closed, nothing is left', async () => {
      const pool = new BrowserPool({
        executablePath: chromium!,
        userAgent: 'trawl-test',
        maxPages: 2,
        pagesPerContext: 5,
        pagesPerBrowser: 12,
      });
      const contexts = new Set<BrowserContext>();
      const browsers = new Set<Browser>();
      try {
        // Two at a time, as a crawl uses it.
        for (let i = 0; i < 30; i += 2) {
          await Promise.all(
            [i, i + 1].map((n) =>
              pool.withPage(async (page) => {
                await page.setContent(`<p>page ${n}</p>`);
                assert.equal(await page.textContent('p'), `page ${n}`);
                contexts.add(page.context());
                browsers.add(page.context().browser()!);
              }),
            ),
          );
        }
        assert.equal(browsers.size, 3, 'browsers (12 + 12 + 6 pages)');
        assert.ok(contexts.size >= 6 && contexts.size <= 8, `contexts: ${contexts.size}`);
        // Replaced browsers are closed once their pages are done: only the current one runs.
        const connected = [...browsers].filter((b) => b.isConnected());
        assert.equal(connected.length, 1);
      } finally {
        await pool.close();
      }
      await noBrowserProcessesOf(process.pid);
    });

    test('a context per profile: its User-Agent and cookies; the least recently used closed', async () => {
      const pool = new BrowserPool({
        executablePath: chromium!,
        userAgent: 'trawl-test',
        maxPages: 2,
        maxContexts: 2,
      });
      const profile = (key: string) => ({
        key,
        userAgent: `agent-${key}`,
        extraHTTPHeaders: { 'accept-language': `x-${key}` },
      });
      /** The context's User-Agent and its cookie, after setting one when it has none. */
      const visit = (key: string) =>
        pool.withPage(async (page) => {
          await page.goto('about:blank');
          const ua = await page.evaluate<string>('navigator.userAgent');
          const cookies = await page.context().cookies('https://site.test/');
          if (cookies.length === 0) {
            await page
              .context()
              .addCookies([{ name: 'who', value: key, url: 'https://site.test/' }]);
          }
          return { ua, cookie: cookies[0]?.value ?? null, context: page.context() };
        }, profile(key));
      try {
        const a1 = await visit('a');
        const b1 = await visit('b');
        assert.equal(a1.ua, 'agent-a');
        assert.equal(b1.ua, 'agent-b');
        assert.notEqual(a1.context, b1.context);
        // Each profile keeps its own cookies.
        const a2 = await visit('a');
        const b2 = await visit('b');
        assert.equal(a2.context, a1.context);
        assert.equal(a2.cookie, 'a');
        assert.equal(b2.cookie, 'b');
        // A third profile closes the least recently used (a): a comes back fresh.
        const c1 = await visit('c');
        assert.equal(c1.ua, 'agent-c');
        const a3 = await visit('a');
        assert.notEqual(a3.context, a1.context);
        assert.equal(a3.cookie, null, 'a closed context kept nothing');
        // The pool's own context (no profile) is Trawl's.
        const own = await pool.withPage((page) => page.evaluate<string>('navigator.userAgent'));
        assert.equal(own, 'trawl-test');
      } finally {
        await pool.close();
      }
      await noBrowserProcessesOf(process.pid);
    });

    test('a renderer crash fails only its page; the next page works', async () => {
      const pool = new BrowserPool({
        executablePath: chromium!,
        userAgent: 'trawl-test',
        maxPages: 1,
      });
      try {
        await assert.rejects(
          pool.withPage(async (page) => {
            await page.goto('chrome://crash', { timeout: 10_000 });
          }),
          (err: unknown) => err instanceof Error,
        );
        const text = await pool.withPage(async (page) => {
          await page.setContent('<p>after the crash</p>');
          return page.textContent('p');
        });
        assert.equal(text, 'after the crash');
      } finally {
        await pool.close();
      }
      await noBrowserProcessesOf(process.pid);
    });

    test('a page whose script never returns is cut by its deadline; the next page works', async () => {
      const pool = new BrowserPool({
        executablePath: chromium!,
        userAgent: 'trawl-test',
        maxPages: 1,
        operationTimeoutMs: 5_000,
      });
      try {
        const started = Date.now();
        await assert.rejects(
          pool.withPage((page) => deadline(page.evaluate('for (;;) {}'), 1_000, 'the script')),
          (err: unknown) => isTrawlError(err) && err.code === 'timeout',
        );
        const text = await pool.withPage(async (page) => {
          await page.setContent('<p>next</p>');
          return page.textContent('p');
        });
        assert.equal(text, 'next');
        assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
      } finally {
        await pool.close();
      }
      await noBrowserProcessesOf(process.pid);
    });
  },
);
