/**
 * The politeness site as a site under test: `hosts` loopback hosts (127.0.1.1 …) each
 * serving a small synthetic site, one server process per run, every crawl seeded with
 * all the hosts' start pages. Pages are keyed by host and path; titles come from the model.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createSiteModel } from '../../site/site-model.js';
import { checkOutputFile } from '../output-check.js';
import { nodeEntry } from '../paths.js';
import type { ServerCounts, SiteUnderTest } from '../site-under-test.js';
import { firstLine } from '../../lib/first-line.js';

export interface MultiHostSiteOptions {
  hosts: number;
  pagesPerHost: number;
  /** The delay the crawlers are asked for: gaps below it are counted. */
  delayMs: number;
  /** @default 1 */
  seed?: number;
}

const START_TIMEOUT_MS = 15_000;

export function createMultiHostSite(o: MultiHostSiteOptions): SiteUnderTest {
  const seed = o.seed ?? 1;
  const model = createSiteModel({ pages: o.pagesPerHost, seed });
  return {
    name: 'politeness',
    describe: {
      kind: 'politeness',
      hosts: o.hosts,
      addresses: `127.0.1.1–127.0.1.${o.hosts}`,
      pagesPerHost: o.pagesPerHost,
      delayMs: o.delayMs,
      server: 'bench/peers/politeness/multi-host-serve (node:http, one process, all hosts)',
    },
    expectedPages: o.hosts * o.pagesPerHost,
    pathsFile: null,
    start: async () => {
      const [cmd, ...args] = nodeEntry('politeness/multi-host-serve');
      const child = spawn(
        cmd as string,
        [
          ...args,
          '--hosts',
          String(o.hosts),
          '--pages',
          String(o.pagesPerHost),
          '--seed',
          String(seed),
          '--delay-ms',
          String(o.delayMs),
        ],
        // The stdin pipe is never written: it closes when we die, and the server with it.
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const exited = once(child, 'exit');
      exited.catch(() => undefined);
      const first = await firstLine(child, exited, 'multi-host server', START_TIMEOUT_MS);
      const info = JSON.parse(first) as { urls: string[]; pid: number };
      const origin = info.urls[0] as string;
      return {
        startUrls: info.urls.map((u) => `${u}/`),
        origin,
        serverPids: () => [info.pid],
        stop: async () => {
          const res = await fetch(`${origin}/__stats`);
          const counts = (await res.json()) as ServerCounts;
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
          return counts;
        },
      };
    },
    checkOutput: (file, titles) =>
      checkOutputFile(
        file,
        {
          keyOf: (url) => {
            let u: URL;
            try {
              u = new URL(url);
            } catch {
              return null;
            }
            const m = /^127\.0\.1\.(\d+)$/.exec(u.hostname);
            const host = m ? Number(m[1]) : 0;
            const page = model.pageAt(u.pathname);
            return host >= 1 && host <= o.hosts && page !== null ? `${host}:${page}` : null;
          },
          titleOf: (key) => model.titleOf(Number(key.slice(key.indexOf(':') + 1))),
        },
        titles,
      ),
  };
}
