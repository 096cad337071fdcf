/**
 * The pipeline inside a crawl, in both modes: `--extract` adds Markdown, metadata and
 * structured data to each record; a `--pipeline` file's dedup step marks (or drops)
 * duplicate pages, with the index shared through Redis so that two worker processes never
 * both keep a copy; nothing is lost (a dropped page is stored, only left out of `--out`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from '../support/cli.js';
import { crawlDistributedInProcess, crawlInProcess } from '../support/crawl-in-process.js';
import { distributedSandbox, type DistributedSandbox } from '../support/distributed.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { readJsonl, type OutputRow } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

type TempDir = Awaited<ReturnType<typeof tempDir>>;
/** An exported record: the page fields plus what extraction and the pipeline added. */
type Row = OutputRow & Record<string, unknown>;
import { startWorker } from '../support/worker-processes.js';

const VOCABULARY =
  'harbour lantern meadow orchard river socket anchor chapter figure index document robots sitemap frontier latency throughput canonical archive detail gentle quiet rapid steady modest careful bright ordinary random'.split(
    ' ',
  );

/** `n` words of deterministic prose for `seed`. */
function prose(seed: number, n: number): string {
  let x = seed * 2654435761;
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    words.push(VOCABULARY[x % VOCABULARY.length]!);
    if (i % 12 === 11) words[words.length - 1] += '.';
  }
  return words.join(' ');
}

function article(title: string, body: string, extraHead = ''): string {
  return `<!doctype html><html lang="en"><head><title>${title}</title>
<meta name="description" content="About ${title}">${extraHead}</head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<main><h1>${title}</h1><p>${body}</p>
<ul><li>first point</li><li>second <a href="/docs/1">point</a></li></ul></main>
<footer>All rights reserved. Accept cookies.</footer></body></html>`;
}

/**
 * A site whose pages come in groups of identical content under different URLs
 * (`/g<i>/copy<k>`), plus one near-duplicate (a word changed in a long text) and a page
 * with JSON-LD. `groups` groups of `copies` copies each.
 */
async function duplicateSite(groups: number, copies: number): Promise<TestServer> {
  const links: string[] = [];
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < copies; k++) links.push(`/g${g}/copy${k}`);
  }
  links.push('/long', '/long-edited', '/recipe');
  const long = prose(999, 1500);
  return startTestServer((req, res) => {
    const path = req.url ?? '/';
    const m = /^\/g(\d+)\/copy\d+$/.exec(path);
    if (path === '/') {
      html(
        res,
        `<html><body>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</body></html>`,
      );
    } else if (m !== null) {
      html(res, article(`Group ${m[1]}`, prose(Number(m[1]), 300)));
    } else if (path === '/long') {
      html(res, article('Long read', long));
    } else if (path === '/long-edited') {
      html(res, article('Long read', long.replace('harbour', 'lighthouse')));
    } else if (path === '/recipe') {
      const ld = {
        '@context': 'https://schema.org',
        '@graph': [
          { '@type': 'Recipe', name: 'Pancakes', recipeYield: '4' },
          { '@type': 'Person', name: 'Ada' },
        ],
      };
      html(
        res,
        article(
          'Pancakes',
          prose(7, 80),
          `<script type="application/ld+json">${JSON.stringify(ld)}</script>`,
        ),
      );
    } else {
      res.writeHead(404).end();
    }
  });
}

const byPath = (rows: OutputRow[]) => new Map(rows.map((r) => [new URL(r.url).pathname, r as Row]));

/** Pages every site has besides its content: the start page, and the nav and list links (404). */
const FIXED_PAGES = ['/', '/about', '/docs/1'];

async function pipelineFile(dir: TempDir, action: 'keep' | 'drop'): Promise<string> {
  const file = join(dir.path, 'pipeline.yaml');
  await writeFile(
    file,
    [
      'steps:',
      '  - handler: dedup',
      `    options: { field: text, action: ${action} }`,
      '  - handler: score',
      'extract:',
      '  formats: [markdown, metadata, structured, text]',
      '',
    ].join('\n'),
  );
  return file;
}

describe('a crawl with extraction and a pipeline', { timeout: 120_000 }, () => {
  let sandbox: DistributedSandbox;
  before(async () => {
    sandbox = await distributedSandbox();
  });
  after(() => sandbox.cleanup());

  for (const mode of ['embedded', 'distributed'] as const) {
    test(`${mode}: records carry Markdown, metadata, structured data, duplicateOf and quality`, async () => {
      const site = await duplicateSite(3, 2);
      const dir = await tempDir();
      try {
        const out = join(dir.path, 'out.jsonl');
        const crawl = mode === 'embedded' ? crawlInProcess : crawlDistributedInProcess(sandbox);
        const summary = await crawl(
          {
            seeds: [`${site.origin}/`],
            delayMs: 0,
            concurrency: 4,
            extract: { formats: ['markdown', 'metadata', 'structured', 'text'] },
            pipeline: {
              steps: [{ handler: 'dedup', options: { field: 'text' } }, { handler: 'score' }],
            },
          },
          dir.path,
          out,
        );
        assert.equal(summary.result, 'complete');
        const rows = byPath(await readJsonl(out));
        assert.equal(rows.size, FIXED_PAGES.length + 6 + 3, 'every page exported (action keep)');

        const g0 = [rows.get('/g0/copy0')!, rows.get('/g0/copy1')!];
        const original = g0.find((r) => r.duplicateOf === null);
        const copy = g0.find((r) => r.duplicateOf !== null);
        assert.ok(original !== undefined && copy !== undefined, 'one original, one copy');
        assert.equal(copy.duplicateOf, original.url);
        assert.equal(copy.duplicateKind, 'exact');
        const edited = [rows.get('/long')!, rows.get('/long-edited')!];
        assert.equal(
          edited.filter((r) => r.duplicateKind === 'near').length,
          1,
          'the edited long read is a near-duplicate of the other',
        );
        assert.equal(
          rows.get('/g1/copy0')!.duplicateOf === null,
          rows.get('/g1/copy1')!.duplicateOf !== null,
        );

        const page = rows.get('/recipe')!;
        const markdown = String(page.markdown);
        assert.match(markdown, /^# Pancakes/m);
        assert.match(markdown, /- second \[point\]\(http:\/\/127\.0\.0\.1:\d+\/docs\/1\)/);
        assert.doesNotMatch(
          markdown,
          /About us|All rights reserved/,
          'navigation and footer dropped',
        );
        const metadata = page.metadata as { description: string; language: string };
        assert.equal(metadata.description, 'About Pancakes');
        assert.equal(metadata.language, 'en');
        const structured = page.structured as { jsonLd: { '@type': string; name: string }[] };
        assert.deepEqual(
          structured.jsonLd.map((i) => i['@type']).sort(),
          ['Person', 'Recipe'],
          '@graph flattened',
        );
        const quality = Number(page.quality);
        assert.ok(quality > 0 && quality <= 1, `quality ${quality}`);
        // The plain fields are the crawler's as ever.
        assert.equal(page.status, 200);
        assert.equal(page.title, 'Pancakes');
      } finally {
        await site.close();
        await dir.cleanup();
      }
    });
  }

  test('two worker processes share the dedup index: each content kept exactly once, nothing lost', async () => {
    const groups = 30;
    const copies = 4;
    const site = await duplicateSite(groups, copies);
    const dir = await tempDir();
    const workers = [
      await startWorker(sandbox.env, ['--concurrency', '8']),
      await startWorker(sandbox.env, ['--concurrency', '8']),
    ];
    try {
      const out = join(dir.path, 'out.jsonl');
      const job = 'dedup-two-workers';
      const file = await pipelineFile(dir, 'drop');
      const result = await runCli(
        [
          'crawl',
          `${site.origin}/`,
          '--workers',
          '0',
          '--job',
          job,
          '--delay',
          '0',
          '--concurrency',
          '16',
          '--pipeline',
          file,
          '--out',
          out,
          '--no-progress',
        ],
        sandbox.env,
      );
      assert.equal(result.code, 0, result.stderr);
      const rows = byPath(await readJsonl(out));
      for (let g = 0; g < groups; g++) {
        const kept = [...rows.keys()].filter((p) => p.startsWith(`/g${g}/`));
        assert.equal(kept.length, 1, `group ${g}: kept ${kept.join(', ')}`);
      }
      assert.equal(rows.has('/long') !== rows.has('/long-edited'), true, 'one long read kept');
      assert.ok(rows.has('/recipe') && rows.has('/'));

      // Nothing lost: every page is stored, the dropped ones saying why.
      const client = new pg.Client({ connectionString: sandbox.databaseUrl });
      await client.connect();
      try {
        const { rows: stored } = await client.query<{ url: string; dropped: unknown }>(
          `SELECT url, fields->'dropped' AS dropped FROM crawled_data WHERE task_id = $1`,
          [job],
        );
        assert.equal(stored.length, FIXED_PAGES.length + groups * copies + 3);
        const dropped = stored.filter((r) => r.dropped !== null);
        assert.equal(dropped.length, groups * (copies - 1) + 1);
        assert.ok(dropped.every((r) => (r.dropped as { by: string }).by === 'dedup'));
      } finally {
        await client.end();
      }
      for (let g = 0; g < groups; g++) {
        for (let k = 0; k < copies; k++) assert.equal(site.hits(`/g${g}/copy${k}`), 1);
      }
    } finally {
      for (const w of workers) await w.stop();
      await site.close();
      await dir.cleanup();
    }
  });

  test('a bad pipeline file fails at once, naming the field, before anything is crawled', async () => {
    const site = await duplicateSite(1, 1);
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'bad.yaml');
      await writeFile(file, 'steps:\n  - handler: dedup\n    options: { action: explode }\n');
      const result = await runCli(
        ['crawl', `${site.origin}/`, '--pipeline', file, '--data-dir', join(dir.path, 'd')],
        {},
      );
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /action/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(site.requests.length, 0);

      const bad = await runCli(['crawl', `${site.origin}/`, '--extract', 'markdown,pdf'], {});
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--extract: unknown format "pdf"/);
    } finally {
      await site.close();
      await dir.cleanup();
    }
  });
});
