/**
 * `trawl export` end to end through the real CLI: from an embedded crawl of a loopback
 * site, and from a PostgreSQL job; with field selections, every format, bad input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { WARCParser } from 'warcio';
import { upsertCrawlJob } from '../../../src/backends/postgres/crawl-jobs.js';
import { migratePostgres } from '../../../src/backends/postgres/migrate.js';
import { createPostgresPageSink } from '../../../src/backends/postgres/postgres-page-sink.js';
import { runCli } from '../../support/cli.js';
import { crawlInProcess } from '../../support/crawl-in-process.js';
import { html, page, startTestServer, type TestServer } from '../../support/http-server.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { readJsonl } from '../../support/read-output.js';
import { tempDir } from '../../support/temp-dir.js';
import { storedPage } from './fixtures.js';
import { readCsv, readParquet, readXlsx } from './readers.js';

const PAGES = 8;
const bodyOf = (n: number): string =>
  page(`Page ${n}, "quoted"`, n + 1 < PAGES ? [`/p/${n + 1}`] : []);

describe('trawl export (CLI)', () => {
  let site: TestServer;
  let dir: { path: string; cleanup: () => Promise<void> };
  let data: string;
  let plain: string;
  before(async () => {
    site = await startTestServer((req, res) => {
      if (req.url === '/robots.txt') return html(res, 'nope', 404);
      const n = Number(/^\/p\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1);
      if (n < 0) return html(res, 'gone', 404);
      html(res, bodyOf(n));
    });
    dir = await tempDir('trawl-export-cli-');
    data = join(dir.path, 'bodies');
    await crawlInProcess({ seeds: [`${site.origin}/p/0`], delayMs: 0, storeBody: true }, data);
    plain = join(dir.path, 'plain');
    await crawlInProcess({ seeds: [`${site.origin}/p/0`], delayMs: 0 }, plain);
  });
  after(async () => {
    await site.close();
    await dir.cleanup();
  });

  const out = (name: string): string => join(dir.path, name);

  test('JSONL of everything, then a CSV, XLSX and Parquet of selected fields, all agreeing', async () => {
    const all = await runCli(['export', join(data, 'data'), '--out', out('all.jsonl')]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, new RegExp(`exported ${PAGES} pages from data dir`));
    const rows = await readJsonl(out('all.jsonl'));
    assert.equal(rows.length, PAGES);
    assert.ok(rows.every((r) => r.status === 200 && r.title !== null));

    const fields = ['url', 'status', 'title', 'headers.content-type'];
    const csv = await runCli([
      'export',
      join(data, 'data'),
      '--out',
      out('sel.csv'),
      '--fields',
      fields.join(','),
      '--rename',
      'headers.content-type=type',
    ]);
    assert.equal(csv.code, 0, csv.stderr);
    const table = await readCsv(out('sel.csv'));
    assert.deepEqual(table[0], ['url', 'status', 'title', 'type']);
    assert.deepEqual(
      table.slice(1),
      rows.map((r) => [r.url, String(r.status), r.title, 'text/html; charset=utf-8']),
    );

    for (const format of ['xlsx', 'parquet']) {
      const res = await runCli([
        'export',
        join(data, 'data'),
        '--out',
        out(`sel.${format}`),
        '--fields',
        'url,status,title',
      ]);
      assert.equal(res.code, 0, res.stderr);
    }
    const sheet = (await readXlsx(out('sel.xlsx')))[0]!.rows;
    assert.deepEqual(
      sheet.slice(1),
      rows.map((r) => [r.url, r.status, r.title]),
    );
    const parquet = await readParquet(out('sel.parquet'));
    assert.deepEqual(
      parquet.rows,
      rows.map((r) => ({ url: r.url, status: r.status, title: r.title })),
    );
  });

  test('WARC of a crawl that kept bodies: the bodies the server sent', async () => {
    const res = await runCli(['export', join(data, 'data'), '--out', out('crawl.warc.gz')]);
    assert.equal(res.code, 0, res.stderr);
    const bodies = new Map<string, string>();
    for await (const record of new WARCParser(createReadStream(out('crawl.warc.gz')))) {
      if (record.warcType === 'response') {
        bodies.set(record.warcTargetURI!, Buffer.from(await record.readFully(false)).toString());
      }
    }
    assert.equal(bodies.size, PAGES);
    for (let n = 0; n < PAGES; n++) assert.equal(bodies.get(`${site.origin}/p/${n}`), bodyOf(n));
  });

  test('bad input: clear errors, exit 2, no file written', async () => {
    const cases: [string[], RegExp][] = [
      [['export', join(dir.path, 'nope'), '--out', out('x.csv')], /data dir .*nope does not exist/],
      [['export', dir.path, '--out', out('x.csv')], /holds no crawl/],
      [
        ['export', join(data, 'data'), '--out', out('x.csv'), '--fields', 'url,bogus'],
        /unknown field "bogus"; valid fields: url, finalUrl, .*headers\.<name>/,
      ],
      [['export', join(plain, 'data'), '--out', out('x.warc')], /no stored body.*--store-body/],
      [
        ['export', join(data, 'data'), '--out', out('x.warc'), '--fields', 'url'],
        /--fields does not apply to warc/,
      ],
      [
        ['export', join(data, 'data'), '--out', out('x.csv'), '--rename', 'url'],
        /--rename takes FIELD=NAME/,
      ],
      [
        ['export', join(data, 'data'), '--out', out('x.txt'), '--format', 'docx'],
        /Allowed choices are jsonl, json/,
      ],
      [['export', join(data, 'data'), '--out', join(dir.path, 'no', 'x.csv')], /does not exist/],
    ];
    for (const [args, message] of cases) {
      const res = await runCli(args);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message);
      assert.doesNotMatch(res.stderr, /fatal|at .*\.js/);
    }
    assert.ok(!existsSync(out('x.csv')) && !existsSync(out('x.warc')));
    assert.ok(!existsSync(join(dir.path, 'nope')), 'a missing data dir is not created');
  });
});

describe('trawl export --database (PostgreSQL job)', () => {
  let schema: TestSchema;
  let dir: { path: string; cleanup: () => Promise<void> };
  const pagesOf = Array.from({ length: 7 }, (_, i) => storedPage(i));
  before(async () => {
    schema = await createTestSchema('texport');
    dir = await tempDir('trawl-export-pg-');
    const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
    try {
      await migratePostgres(pool);
      await upsertCrawlJob(pool, 'job-a', { userAgent: 'agent-a/1' });
      await upsertCrawlJob(pool, 'job-b', {});
      await createPostgresPageSink(pool).writeBatch('job-a', pagesOf);
    } finally {
      await pool.end();
    }
  });
  after(async () => {
    await dir.cleanup();
    await schema.cleanup();
  });

  test('exports one job, every format agreeing with the stored pages', async () => {
    const jsonl = join(dir.path, 'a.jsonl');
    const res = await runCli([
      'export',
      '--database',
      schema.url,
      '--job',
      'job-a',
      '--out',
      jsonl,
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /exported 7 pages from job job-a \(PostgreSQL\)/);
    const rows = await readJsonl(jsonl);
    assert.deepEqual(
      rows.map((r) => [r.url, r.status, r.title, r.fetchedAt]),
      pagesOf.map((p) => [p.url, p.status, p.title, new Date(p.fetchedAt).toISOString()]),
    );

    const warc = join(dir.path, 'a.warc');
    const w = await runCli(['export', '--job', 'job-a', '--out', warc], {
      TRAWL_DATABASE_URL: schema.url,
    });
    assert.equal(w.code, 0, w.stderr);
    let responses = 0;
    for await (const record of new WARCParser(createReadStream(warc))) {
      if (record.warcType === 'request') {
        assert.equal(
          record.httpHeaders?.headers.get('user-agent'),
          'agent-a/1',
          'the job spec’s agent',
        );
      }
      if (record.warcType === 'response') responses++;
    }
    assert.equal(responses, pagesOf.filter((p) => p.body !== null).length);
  });

  test('no --job lists the jobs; an unknown job names the known ones', async () => {
    const none = await runCli([
      'export',
      '--database',
      schema.url,
      '--out',
      join(dir.path, 'x.csv'),
    ]);
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      /choose a job with --job; jobs: job-a \(running, 7 pages\), job-b \(running, 0 pages\)/,
    );
    const unknown = await runCli([
      'export',
      '--database',
      schema.url,
      '--job',
      'zzz',
      '--out',
      join(dir.path, 'x.csv'),
    ]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown job "zzz"; jobs: job-a/);
    assert.ok(!existsSync(join(dir.path, 'x.csv')));
  });

  test('a database without Trawl tables says so', async () => {
    const empty = await createTestSchema('texport');
    try {
      const res = await runCli([
        'export',
        '--database',
        empty.url,
        '--job',
        'a',
        '--out',
        join(dir.path, 'y.csv'),
      ]);
      assert.equal(res.code, 2);
      assert.match(res.stderr, /no Trawl tables/);
    } finally {
      await empty.cleanup();
    }
  });
});
