/**
 * The browser pool's hygiene against the system Chromium: contexts and browsers replaced
 * after their page budgets, a renderer crash failing only its page (retryably), a hung
 * page cut by its deadline, and no process left once the pool is closed.
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
