import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markAsUntransferable } from 'node:worker_threads';
import type { ParsedPage } from '../../src/core/types.js';
import { isTrawlError } from '../../src/core/errors.js';
import type { PageParser, PageParserOptions, ParseJob } from '../../src/parse/page-parser.js';
import { InlinePageParser } from '../../src/parse/inline-page-parser.js';
import { WorkerPageParser } from '../../src/parse/worker-page-parser.js';
import { readFixture } from '../support/html-fixtures/read-fixture.js';

const OPTIONS: PageParserOptions = {
  linkFilter: {
    scope: 'domain',
    seedHosts: ['news.example.com'],
    include: [],
    exclude: ['/private'],
  },
  respectNofollow: true,
};

// Under tsx the sources are .ts files; compiled, everything is .js under dist/.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const SRC = new URL('../../src/parse/', import.meta.url);
const ARTICLE = readFixture('news-article.html');

/** A varied set of pages: several charsets, sizes, and Buffers that do or do not own their memory. */
function makeJob(i: number): ParseJob {
  const url = `https://news.example.com/section/${i % 7}/page-${i}`;
  switch (i % 6) {
    case 0:
      return { url, body: Buffer.from(ARTICLE), contentType: 'text/html; charset=utf-8' };
    case 1: {
      // Small: Node allocates it from a shared 8 KB pool slab.
      const html = `<title>Page ${i}</title><a href="/p/${i + 1}">n</a><a href="/private/${i}">p</a>`;
      return { url, body: Buffer.from(html), contentType: null };
    }
    case 2: {
      const gbk = Buffer.from([0xd6, 0xd0, 0xce, 0xc4]); // 中文
      const body = Buffer.concat([
        Buffer.from(`<meta charset=gbk><title>`),
        gbk,
        Buffer.from(` ${i}</title><a href="../up/${i}">up</a>`),
      ]);
      return { url, body, contentType: 'text/html' };
    }
    case 3: {
      // A window into a bigger buffer: byteOffset != 0.
      const big = Buffer.from(
        `${'x'.repeat(100)}<title>Caf\xe9 ${i}</title><a href="#top">t</a>`,
        'latin1',
      );
      return { url, body: big.subarray(100), contentType: null };
    }
    case 4: {
      let html = `<title>Long ${i}</title><meta name=robots content="noindex">`;
      for (let k = 0; k < 40; k++)
        html += `<p>${'text '.repeat(20)}<a href="/l/${(i + k) % 50}">l</a></p>`;
      return { url, body: Buffer.from(html), contentType: 'text/html' };
    }
    default:
      return {
        url,
        body: Buffer.from(
          `<a href="https://other.example/">o</a><a href="/x" rel=nofollow>x</a><p>${i}`,
        ),
        contentType: 'text/html; charset=iso-8859-1',
      };
  }
}

async function parseAll(parser: PageParser, n: number): Promise<ParsedPage[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => parser.parse(makeJob(i))));
}

/** Settles every promise; returns results and the error codes of rejections. */
async function settle(promises: Promise<ParsedPage>[]) {
  const settled = await Promise.allSettled(promises);
  const pages = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  return { settled, pages, errors };
}

function codeOf(err: unknown): string | undefined {
  return isTrawlError(err) ? err.code : undefined;
}

/**
 * A worker module that runs the real parse worker but dies when a batch holds a URL
 * containing "/crash": by an uncaught exception, or by exiting. With `onceMarker`, it
 * dies instead on the first batch any such worker gets (the marker file records it).
 */
function crashingWorker(how: 'throw' | 'exit', onceMarker?: string): URL {
  const real = new URL(`parse-worker${EXT}`, SRC);
  // 'exit' dies on receipt; 'throw' lets the worker parse the batch, then makes its
  // attempt to answer throw (a listener's own exception would not stop the others).
  const hook = dataUrl(
    `import { parentPort } from 'node:worker_threads';\n` +
      `import { existsSync, writeFileSync } from 'node:fs';\n` +
      `const marker = ${JSON.stringify(onceMarker ?? null)};\n` +
      `let crash = false;\n` +
      `parentPort.on('message', (msg) => {\n` +
      `  crash = marker === null ? msg.jobs.some((j) => j.url.includes('/crash')) : !existsSync(marker);\n` +
      `  if (crash && marker !== null) writeFileSync(marker, 'died');\n` +
      `  if (crash && ${JSON.stringify(how)} === 'exit') process.exit(3);\n` +
      `});\n` +
      `const post = parentPort.postMessage.bind(parentPort);\n` +
      `parentPort.postMessage = (msg, transfer) => {\n` +
      `  if (crash && msg.type === 'results') throw new Error('injected crash');\n` +
      `  post(msg, transfer);\n` +
      `};`,
  );
  // Static imports: the hook's listener, then the real one, are attached in one
  // synchronous evaluation, so the hook sees each batch first and none is lost.
  const main = dataUrl(`import ${JSON.stringify(hook)};\nimport ${JSON.stringify(real.href)};`);
  if (EXT === '.js') return new URL(main);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new URL(
    dataUrl(
      `const { register } = await import(${tsx});\nregister();\nawait import(${JSON.stringify(main)});`,
    ),
  );
}

function dataUrl(code: string): string {
  return `data:text/javascript,${encodeURIComponent(code)}`;
}

describe('WorkerPageParser', { timeout: 60_000 }, () => {
  const pools: PageParser[] = [];
  const pool = (extra: Partial<ConstructorParameters<typeof WorkerPageParser>[0]> = {}) => {
    const p = new WorkerPageParser({ ...OPTIONS, workers: 2, ...extra });
    pools.push(p);
    return p;
  };
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  test('2,000 pages through 2 workers give the same results as inline parsing', async () => {
    const inline = await parseAll(new InlinePageParser(OPTIONS), 2000);
    const pooled = await parseAll(pool(), 2000);
    assert.deepEqual(pooled, inline);
    // Sanity: the pages are what they claim, so equality means something.
    assert.equal(inline[0]?.title, 'Widgets & Gadgets — The 2024 Review | Example News');
    assert.equal(inline[2]?.title, '中文 2');
    assert.equal(inline[2]?.charset, 'gbk');
    assert.equal(inline[3]?.title, 'Café 3');
    assert.deepEqual(inline[1]?.links, ['https://news.example.com/p/2']);
    assert.equal(inline[4]?.noindex, true);
  });

  test('bodies are left intact: the parser sends a copy and keeps the job for a retry', async () => {
    const parser = pool();
    const small = Buffer.from('<title>small</title>');
    const neighbour = Buffer.from('neighbour on the same slab');
    const large = Buffer.from(`<title>large</title>${' '.repeat(10_000)}`);
    const bytes = new TextEncoder().encode('<title>kept</title>');
    markAsUntransferable(bytes.buffer);
    const untransferable = Buffer.from(bytes.buffer);
    const [a, b, c] = await Promise.all([
      parser.parse({ url: 'https://news.example.com/a', body: small, contentType: null }),
      parser.parse({ url: 'https://news.example.com/b', body: large, contentType: null }),
      parser.parse({ url: 'https://news.example.com/u', body: untransferable, contentType: null }),
    ]);
    assert.deepEqual([a.title, b.title, c.title], ['small', 'large', 'kept']);
    assert.equal(small.toString(), '<title>small</title>');
    assert.equal(neighbour.toString(), 'neighbour on the same slab');
    assert.equal(large.byteLength, 10_000 + '<title>large</title>'.length);
    assert.equal(untransferable.toString(), '<title>kept</title>');
  });

  test('parser options and extractLinks reach the workers', async () => {
    const parser = pool({ workers: 1, sortQuery: false, dedupLinks: true });
    const url = 'https://news.example.com/o';
    const html = (links: string) => Buffer.from(`<title>t</title>${links}`);
    const first = await parser.parse({
      url,
      body: html('<a href="/q?b=1&a=2">q</a>'),
      contentType: null,
    });
    assert.deepEqual(first.links, ['https://news.example.com/q?b=1&a=2']);
    const second = await parser.parse({
      url,
      body: html('<a href="/q?b=1&a=2">q</a><a href="/r">r</a>'),
      contentType: null,
    });
    assert.deepEqual(second.links, ['https://news.example.com/r'], 'dedupLinks');
    const noLinks = await parser.parse({
      url,
      body: html('<a href="/s">s</a>'),
      contentType: null,
      extractLinks: false,
    });
    assert.deepEqual([noLinks.links, noLinks.rawLinkCount, noLinks.title], [[], 1, 't']);
  });

  for (const kind of ['workers', 'inline'] as const) {
    test(`forgetLinks (${kind}): links the caller could not keep come back`, async () => {
      const options = { ...OPTIONS, dedupLinks: true };
      const parser: PageParser =
        kind === 'workers' ? pool({ workers: 2, dedupLinks: true }) : new InlinePageParser(options);
      const url = 'https://news.example.com/f';
      const body = () => Buffer.from('<a href="/x">x</a><a href="/y">y</a>');
      const links = async () =>
        (await parser.parse({ url, body: body(), contentType: null })).links;
      // Two workers: each may return a link once, so ask until both have seen them.
      for (let i = 0; i < 4; i++) await links();
      assert.deepEqual(await links(), [], 'remembered');
      parser.forgetLinks(['https://news.example.com/x']);
      const again = new Set<string>();
      for (let i = 0; i < 4; i++) for (const l of await links()) again.add(l);
      assert.deepEqual([...again], ['https://news.example.com/x']);
      parser.forgetLinks('all');
      const all = new Set<string>();
      for (let i = 0; i < 4; i++) for (const l of await links()) all.add(l);
      assert.deepEqual([...all].sort(), [
        'https://news.example.com/x',
        'https://news.example.com/y',
      ]);
      if (kind === 'inline') await parser.close();
    });
  }

  test('one bad job rejects alone with parse_failed', async () => {
    const parser = pool();
    const bad = { ...makeJob(1), contentType: 42 as unknown as string };
    const { settled } = await settle([
      parser.parse(makeJob(0)),
      parser.parse(bad),
      parser.parse(makeJob(2)),
    ]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    const err = (settled[1] as PromiseRejectedResult).reason as unknown;
    assert.equal(codeOf(err), 'parse_failed');
    assert.match((err as Error).message, /page-1/);
  });

  for (const how of ['throw', 'exit'] as const) {
    test(`a worker that dies (${how}): its pages are parsed again, only the killer fails`, async () => {
      const parser = pool({ workerUrl: crashingWorker(how) });
      const jobs = Array.from({ length: 10 }, (_, i) =>
        i === 3 ? { ...makeJob(i), url: 'https://news.example.com/crash' } : makeJob(i),
      );
      const { settled } = await settle(jobs.map((j) => parser.parse(j)));
      assert.deepEqual(
        settled.map((s, i) => [i, s.status]),
        jobs.map((_, i) => [i, i === 3 ? 'rejected' : 'fulfilled']),
        'the batch-mates of the page that killed its worker were parsed on the replacement',
      );
      const err = (settled[3] as PromiseRejectedResult).reason as unknown;
      assert.equal(codeOf(err), 'parse_failed');
      assert.match((err as Error).message, how === 'throw' ? /injected crash/ : /exit code 3/);
      const later = await Promise.all(
        Array.from({ length: 20 }, (_, i) => parser.parse(makeJob(i))),
      );
      assert.equal(later.length, 20);
    });
  }

  test('pages whose worker died once are parsed on the replacement', async () => {
    // The first worker to get a batch dies of it, whatever is in it; the next are healthy.
    const marker = join(tmpdir(), `trawl-die-once-${process.pid}-${Date.now()}`);
    try {
      const parser = pool({ workers: 1, workerUrl: crashingWorker('exit', marker) });
      const pages = await Promise.all([parser.parse(makeJob(0)), parser.parse(makeJob(1))]);
      assert.equal(pages[1]?.title, 'Page 1');
      assert.ok(existsSync(marker), 'a worker did die');
    } finally {
      rmSync(marker, { force: true });
    }
  });

  test('a worker module that cannot start fails jobs instead of hanging', async () => {
    const parser = pool({ workerUrl: new URL('./no-such-worker.js', import.meta.url) });
    await assert.rejects(parser.parse(makeJob(0)), (err) => codeOf(err) === 'parse_failed');
    await assert.rejects(parser.parse(makeJob(1)), (err) => codeOf(err) === 'parse_failed');
  });

  test('close() rejects queued and in-flight jobs with aborted, and later ones too', async () => {
    const parser = new WorkerPageParser({ ...OPTIONS, workers: 2, maxBatch: 8 });
    const promises = Array.from({ length: 200 }, (_, i) => parser.parse(makeJob(i)));
    const outcome = settle(promises);
    await Promise.race(promises); // some answers are back, many jobs still in flight
    await parser.close();
    const { pages, errors } = await outcome;
    assert.ok(
      pages.length > 0 && errors.length > 0,
      `${pages.length} parsed, ${errors.length} aborted`,
    );
    for (const err of errors) assert.equal(codeOf(err), 'aborted');
    await assert.rejects(parser.parse(makeJob(0)), (err) => codeOf(err) === 'aborted');

    const queued = new WorkerPageParser({ ...OPTIONS, workers: 1 });
    const pending = assert.rejects(queued.parse(makeJob(0)), (err) => codeOf(err) === 'aborted');
    await queued.close();
    await pending;
  });

  test('a pool keeps the process alive for its jobs, and close() lets it exit', async () => {
    const moduleUrl = new URL(`worker-page-parser${EXT}`, SRC).href;
    const script = `
      const { WorkerPageParser } = await import(${JSON.stringify(moduleUrl)});
      const parser = new WorkerPageParser({
        linkFilter: { scope: 'any', seedHosts: [], include: [], exclude: [] },
        respectNofollow: true,
        workers: 2,
      });
      const body = Buffer.from('<title>parsed before exit</title>');
      parser.parse({ url: 'https://a.example/', body, contentType: null })
        .then((page) => console.log(page.title))
        .finally(() => parser.close());
    `;
    const args = [
      ...(EXT === '.ts' ? ['--import', 'tsx'] : []),
      '--input-type=module',
      '-e',
      script,
    ];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, args, { timeout: 30_000 }, (err, out, errOut) => {
        if (err) reject(new Error(`${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    assert.equal(stdout.trim(), 'parsed before exit');
  });
});

describe('InlinePageParser', () => {
  test('parses like parsePage and rejects after close()', async () => {
    const parser = new InlinePageParser(OPTIONS);
    const page = await parser.parse(makeJob(2));
    assert.equal(page.title, '中文 2');
    assert.deepEqual(page.links, ['https://news.example.com/section/up/2']);
    await parser.close();
    await assert.rejects(parser.parse(makeJob(0)), (err) => codeOf(err) === 'aborted');
  });

  test('dedupLinks and extractLinks', async () => {
    const parser = new InlinePageParser({ ...OPTIONS, dedupLinks: true });
    const url = 'https://news.example.com/i';
    const body = () => Buffer.from('<a href="/x">x</a><a href="/y">y</a>');
    assert.equal((await parser.parse({ url, body: body(), contentType: null })).links.length, 2);
    assert.deepEqual((await parser.parse({ url, body: body(), contentType: null })).links, []);
    const skipped = await parser.parse({
      url,
      body: body(),
      contentType: null,
      extractLinks: false,
    });
    assert.equal(skipped.rawLinkCount, 2);
  });

  test('a bad job rejects with parse_failed', async () => {
    const parser = new InlinePageParser(OPTIONS);
    const bad = { ...makeJob(1), contentType: 42 as unknown as string };
    await assert.rejects(parser.parse(bad), (err) => codeOf(err) === 'parse_failed');
  });
});
