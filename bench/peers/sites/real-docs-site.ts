/**
 * The real site as a site under test: a Debian documentation package served by nginx
 * (bench/real-site), a fresh nginx per run counted from its access log. Which pages a
 * complete crawl reaches from the start page is not known in advance, so one reference
 * crawl (the minimal crawler, unmeasured) lists them first; that list is what "complete"
 * means for every system and the raw-GET ceiling's work list.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readAccessLog } from '../../real-site/access-log.js';
import { countHtmlFiles, docsSiteMissing } from '../../real-site/docs-site.js';
import type { DocsSite } from '../../real-site/docs-site.js';
import { startNginxSite } from '../../real-site/nginx-site.js';
import { checkOutputFile, pathKey } from '../output-check.js';
import { nodeEntry } from '../paths.js';
import type { SiteUnderTest } from '../site-under-test.js';

export interface RealDocsSiteOptions {
  docs: DocsSite;
  /** Scratch directory for the reference crawl and the page list. */
  workDir: string;
  /**
   * Stop every crawl after this many pages (quick development runs; not a benchmark
   * result: which pages a budget admits differs between crawlers). @default none
   */
  maxPages?: number;
}

/** Why the real site cannot run here, or null. */
export function realSiteMissing(docs: DocsSite): string | null {
  return docsSiteMissing(docs) ?? (nginxBinary() === null ? 'nginx is not installed' : null);
}

export async function createRealDocsSite(options: RealDocsSiteOptions): Promise<SiteUnderTest> {
  const { docs } = options;
  const missing = realSiteMissing(docs);
  if (missing) throw new Error(missing);
  const binary = nginxBinary() as string;
  const serve = (dir: string): ReturnType<typeof startNginxSite> =>
    startNginxSite({ root: docs.root, dir: join(dir, 'nginx'), binary });

  // The reference crawl: every HTML page reachable from the start page.
  const refDir = join(options.workDir, 'real-reference');
  mkdirSync(refDir, { recursive: true });
  const refOut = join(refDir, 'pages.jsonl');
  const nginx = await serve(refDir);
  try {
    const [cmd, ...args] = nodeEntry('ceilings/minimal-crawler');
    const child = spawn(
      cmd as string,
      [...args, '--out', refOut, '--concurrency', '32', nginx.url + docs.startPath],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`reference crawl of ${docs.id} exited with ${code}`);
  } finally {
    await nginx.stop();
  }
  const keys = new Set<string>();
  const resources = new Set<string>();
  const paths: string[] = [];
  for await (const line of createInterface({ input: createReadStream(refOut) })) {
    if (line === '') continue;
    const r = JSON.parse(line) as { url: string; status: number | null; html?: boolean };
    if (r.status !== 200) continue;
    const key = pathKey(r.url);
    if (!r.html) {
      if (key !== null) resources.add(key);
      continue;
    }
    if (key === null || keys.has(key)) continue;
    keys.add(key);
    const u = new URL(r.url);
    paths.push(u.pathname + u.search);
  }
  const pathsFile = join(options.workDir, 'real-paths.txt');
  writeFileSync(pathsFile, paths.join('\n') + '\n');
  const reachable = keys.size;

  return {
    name: 'real',
    describe: {
      kind: 'real',
      debianPackage: docs.debianPackage,
      root: docs.root,
      startPath: docs.startPath,
      htmlFilesOnDisk: countHtmlFiles(docs),
      reachableHtmlPages: reachable,
      otherResourcesLinked: resources.size,
      server: 'nginx (1 worker, keep-alive, sendfile, open_file_cache), loopback',
      ...(options.maxPages ? { pageBudget: options.maxPages } : {}),
    },
    expectedPages: options.maxPages ? Math.min(options.maxPages, reachable) : reachable,
    pathsFile,
    start: async (dir) => {
      const site = await serve(dir);
      return {
        startUrls: [site.url + docs.startPath],
        origin: site.url,
        serverPids: () => site.pids(),
        stop: async () => {
          await site.stop();
          const c = await readAccessLog(site.accessLog);
          if (c === null) throw new Error(`no access log at ${site.accessLog}`);
          return {
            requests: c.requests,
            pages: c.htmlPages,
            repeats: c.repeatHtmlHits,
            robots: c.robots,
            notFound: c.notFound,
            bytes: c.bytes,
          };
        },
      };
    },
    checkOutput: (file, titles) =>
      checkOutputFile(
        file,
        {
          keyOf: (url) => {
            const key = pathKey(url);
            return key !== null && keys.has(key) ? key : null;
          },
          isResource: (url) => resources.has(pathKey(url) ?? ''),
        },
        titles,
      ),
  };
}

function nginxBinary(): string | null {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  for (const dir of dirs) {
    if (dir !== '' && existsSync(join(dir, 'nginx'))) return join(dir, 'nginx');
  }
  return null;
}
