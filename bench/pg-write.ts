/**
 * How fast can a result writer upsert PageRecords into crawled_data? Four ways of sending a
 * batch, measured on the same records, alternating in rounds because the VM's speed drifts:
 *
 * - `pg multi-row`: pg, `INSERT … VALUES ($1…),($21…)…` (20 parameters a row);
 * - `pg unnest`: pg, one array parameter per column, `SELECT … FROM unnest($2::text[], …)`;
 * - `postgres.js`: postgres.js 3's multi-row helper, `insert … ${sql(rows, columns)}`;
 * - `pg json`: pg, the rows as one JSON text parameter read by `json_to_recordset`, bodies
 *   concatenated into one binary bytea parameter and cut out with substring();
 * - `sink`: the shipped PostgresPageSink (whichever of the above it uses), as a check.
 *
 * Every candidate sanitizes, computes metadata and upserts with the same ON CONFLICT clause;
 * each batch is one statement in its own (implicit) transaction, over one connection.
 *
 *   node --import tsx bench/pg-write.ts [--url postgres://…] [--rounds 5] [--batches 20]
 *     [--batch-size 500] [--only 'pg json,sink'] [--content-compression lz4]
 *
 * Reports rows/s and the CPU time of this Node process and of the server backend serving
 * the connection (read from /proc: the server must be local), per 1,000 rows.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import postgres from 'postgres';
import { createPgPool } from '../src/backends/postgres/pg-pool.js';
import { migratePostgres } from '../src/backends/postgres/migrate.js';
import {
  storableHeaders,
  storableText,
  storableTextOrNull,
} from '../src/backends/postgres/pg-sanitize.js';
import { createPostgresPageSink } from '../src/backends/postgres/postgres-page-sink.js';
import type { PageRecord } from '../src/core/types.js';
import { summarize, type Spread } from './lib/summarize.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    rounds: { type: 'string', default: '5' },
    batches: { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '500' },
    only: { type: 'string' },
    /** TOAST compression of crawled_data.content for this run: pglz (the default) or lz4. */
    'content-compression': { type: 'string' },
  },
});
const ROUNDS = Number(args.rounds);
const BATCHES = Number(args.batches);
const BATCH_SIZE = Number(args['batch-size']);
const CLK_TCK = 100; // Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s.

// ---------------------------------------------------------------------------------------
// Records

/** A small deterministic PRNG (mulberry32) so every candidate writes the same records. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum Zürich café naïve'.split(
    ' ',
  );

function words(r: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)] as string);
  return out.join(' ');
}

/** About 20 KB of HTML-like text: compresses like real pages do (TOAST's pglz sees it). */
function htmlBody(r: () => number): Buffer {
  let html = `<!doctype html><html><head><title>${words(r, 6)}</title></head><body>`;
  while (html.length < 20_000) {
    html += `<p class="c${Math.floor(r() * 20)}">${words(r, 30)} <a href="/p/${Math.floor(r() * 1e6)}">${words(r, 3)}</a></p>\n`;
  }
  return Buffer.from(html + '</body></html>');
}

function makeRecords(count: number, withBody: boolean): PageRecord[] {
  const r = rng(42);
  const t0 = Date.UTC(2025, 0, 1);
  const out: PageRecord[] = [];
  for (let i = 0; i < count; i++) {
    const failed = r() < 0.05;
    const url = `https://www.example-shop.test/catalog/c${Math.floor(r() * 100)}/item-${i}?ref=${Math.floor(r() * 1e4)}`;
    const body = withBody && !failed ? htmlBody(r) : null;
    out.push({
      url,
      finalUrl: failed ? null : url,
      status: failed ? null : r() < 0.9 ? 200 : 404,
      title: failed ? null : words(r, 4 + Math.floor(r() * 8)),
      depth: Math.floor(r() * 6),
      contentType: failed ? null : 'text/html; charset=utf-8',
      fetchedAt: t0 + i * 7,
      error: failed ? 'timeout' : null,
      errorMessage: failed ? 'body deadline of 30000 ms exceeded' : null,
      attempts: 1 + Math.floor(r() * 2),
      etag: failed ? null : `"${Math.floor(r() * 1e12).toString(16)}"`,
      lastModified: failed ? null : 'Wed, 21 Oct 2015 07:28:00 GMT',
      contentHash: failed
        ? null
        : Math.floor(r() * 1e16)
            .toString(16)
            .padStart(40, '0'),
      contentLength: failed ? null : 8_000 + Math.floor(r() * 40_000),
      charset: failed ? null : 'utf-8',
      canonicalUrl: failed || r() < 0.5 ? null : url.split('?')[0]!,
      linkCount: failed ? 0 : Math.floor(r() * 200),
      durationMs: failed ? 30_000 : 20 + Math.floor(r() * 500),
      headers: failed
        ? {}
        : {
            'content-type': 'text/html; charset=utf-8',
            'content-length': String(8_000 + Math.floor(r() * 40_000)),
            etag: `"${Math.floor(r() * 1e12).toString(16)}"`,
            'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT',
            'cache-control': 'public, max-age=3600',
            server: 'nginx/1.24.0',
            'content-language': 'en',
          },
      body,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Candidates

interface Writer {
  write(jobId: string, pages: PageRecord[]): Promise<void>;
  /** The server process serving this writer's one connection. */
  backendPid(): Promise<number>;
  close(): Promise<void>;
}

interface Candidate {
  name: string;
  open(url: string): Promise<Writer>;
}

/** Columns written from the record, in order; task_id and metadata are added around them. */
const COLUMNS = [
  'url',
  'final_url',
  'status',
  'title',
  'depth',
  'content_type',
  'crawled_at',
  'error',
  'error_message',
  'attempts',
  'etag',
  'last_modified',
  'content_hash',
  'content_length',
  'charset',
  'canonical_url',
  'link_count',
  'duration_ms',
  'headers',
  'content',
] as const;

const ON_CONFLICT = `ON CONFLICT (task_id, url) DO UPDATE SET ${[...COLUMNS.slice(1), 'metadata']
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}, updated_at = now()
  WHERE crawled_data.crawled_at <= excluded.crawled_at`;

const INSERT_INTO = `INSERT INTO crawled_data (task_id, ${COLUMNS.join(', ')}, metadata)`;

/** metadata from the (already typed) column expressions of one row. */
function metadataSql(col: (name: (typeof COLUMNS)[number]) => string): string {
  return `jsonb_strip_nulls(jsonb_build_object('status', ${col('status')}, 'finalUrl', ${col('final_url')}, 'contentType', ${col('content_type')}, 'charset', ${col('charset')}, 'linkCount', ${col('link_count')}, 'error', ${col('error')}))`;
}

/** The newest record per url (the sink's rule), sanitized. */
function prepare(pages: PageRecord[]): PageRecord[] {
  const byUrl = new Map<string, PageRecord>();
  for (const p of pages) {
    const seen = byUrl.get(p.url);
    if (seen === undefined || seen.fetchedAt <= p.fetchedAt) byUrl.set(p.url, p);
  }
  return [...byUrl.values()].map((p) => ({
    ...p,
    url: storableText(p.url),
    finalUrl: storableTextOrNull(p.finalUrl),
    title: storableTextOrNull(p.title),
    contentType: storableTextOrNull(p.contentType),
    errorMessage: storableTextOrNull(p.errorMessage),
    etag: storableTextOrNull(p.etag),
    lastModified: storableTextOrNull(p.lastModified),
    charset: storableTextOrNull(p.charset),
    canonicalUrl: storableTextOrNull(p.canonicalUrl),
    headers: storableHeaders(p.headers),
    durationMs: p.durationMs === null ? null : Math.round(p.durationMs),
  }));
}

async function pgWriter(
  url: string,
  write: (pool: pg.Pool, jobId: string, pages: PageRecord[]) => Promise<unknown>,
): Promise<Writer> {
  const pool = createPgPool({ url, max: 1 });
  return {
    write: async (jobId, pages) => {
      await write(pool, jobId, pages);
    },
    backendPid: async () =>
      (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid,
    close: () => pool.end(),
  };
}

const PG_TYPES = [
  'text',
  'text',
  'int',
  'text',
  'int',
  'text',
  'float8',
  'text',
  'text',
  'int',
  'text',
  'text',
  'text',
  'int8',
  'text',
  'text',
  'int',
  'int',
  'jsonb',
  'bytea',
] as const;

function values(p: PageRecord): unknown[] {
  return [
    p.url,
    p.finalUrl,
    p.status,
    p.title,
    p.depth,
    p.contentType,
    p.fetchedAt,
    p.error,
    p.errorMessage,
    p.attempts,
    p.etag,
    p.lastModified,
    p.contentHash,
    p.contentLength,
    p.charset,
    p.canonicalUrl,
    p.linkCount,
    p.durationMs,
    JSON.stringify(p.headers),
    p.body,
  ];
}

const multiRow: Candidate = {
  name: 'pg multi-row',
  open: (url) =>
    pgWriter(url, (pool, jobId, pages) => {
      const rows = prepare(pages);
      const params: unknown[] = [jobId];
      const tuples = rows.map((p) => {
        const base = params.length + 1;
        params.push(...values(p));
        const col = (name: (typeof COLUMNS)[number]): string => {
          const i = COLUMNS.indexOf(name);
          return `$${base + i}::${PG_TYPES[i]}`;
        };
        const cols = COLUMNS.map((c) =>
          c === 'crawled_at' ? `to_timestamp(${col(c)} / 1000)` : col(c),
        );
        return `($1, ${cols.join(', ')}, ${metadataSql(col)})`;
      });
      return pool.query(`${INSERT_INTO} VALUES ${tuples.join(', ')} ${ON_CONFLICT}`, params);
    }),
};

const unnest: Candidate = {
  name: 'pg unnest',
  open: (url) =>
    pgWriter(url, (pool, jobId, pages) => {
      const rows = prepare(pages);
      const arrays = COLUMNS.map((_, i) => rows.map((p) => values(p)[i]));
      const col = (c: string): string => `u.${c}`;
      const select = COLUMNS.map((c) =>
        c === 'crawled_at' ? `to_timestamp(u.crawled_at / 1000)` : col(c),
      );
      const text = `${INSERT_INTO}
        SELECT $1, ${select.join(', ')}, ${metadataSql(col)}
        FROM unnest(${COLUMNS.map((_, i) => `$${i + 2}::${PG_TYPES[i]}[]`).join(', ')})
          AS u(${COLUMNS.join(', ')})
        ${ON_CONFLICT}`;
      return pool.query(text, [jobId, ...arrays]);
    }),
};

const postgresJs: Candidate = {
  name: 'postgres.js',
  async open(url) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    return {
      async write(jobId, pages) {
        const rows = prepare(pages).map((p) => ({
          task_id: jobId,
          url: p.url,
          final_url: p.finalUrl,
          status: p.status,
          title: p.title,
          depth: p.depth,
          content_type: p.contentType,
          crawled_at: new Date(p.fetchedAt),
          error: p.error,
          error_message: p.errorMessage,
          attempts: p.attempts,
          etag: p.etag,
          last_modified: p.lastModified,
          content_hash: p.contentHash,
          content_length: p.contentLength,
          charset: p.charset,
          canonical_url: p.canonicalUrl,
          link_count: p.linkCount,
          duration_ms: p.durationMs,
          headers: sql.json(p.headers),
          content: p.body,
          metadata: sql.json(
            Object.fromEntries(
              Object.entries({
                status: p.status,
                finalUrl: p.finalUrl,
                contentType: p.contentType,
                charset: p.charset,
                linkCount: p.linkCount,
                error: p.error,
              }).filter(([, v]) => v !== null),
            ) as Record<string, string | number>,
          ),
        }));
        const cols = ['task_id', ...COLUMNS, 'metadata'] as const;
        await sql`insert into crawled_data ${sql(rows, cols)} ${sql.unsafe(ON_CONFLICT)}`;
      },
      backendPid: async () =>
        (await sql<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid,
      close: () => sql.end(),
    };
  },
};

const json: Candidate = {
  name: 'pg json',
  open: (url) =>
    pgWriter(url, (pool, jobId, pages) => {
      const rows = prepare(pages);
      const bodies: Buffer[] = [];
      let at = 0;
      const docs = rows.map((p) => {
        const { body, headers, ...rest } = p;
        let bodyAt: number | null = null;
        if (body !== null) {
          bodyAt = at;
          bodies.push(body);
          at += body.length;
        }
        return { ...rest, headers, bodyAt, bodyLength: body?.length ?? null };
      });
      const col = (c: (typeof COLUMNS)[number]): string =>
        ({
          url: 'r.url',
          final_url: 'r."finalUrl"',
          status: 'r.status',
          title: 'r.title',
          depth: 'r.depth',
          content_type: 'r."contentType"',
          crawled_at: 'to_timestamp(r."fetchedAt" / 1000)',
          error: 'r.error',
          error_message: 'r."errorMessage"',
          attempts: 'r.attempts',
          etag: 'r.etag',
          last_modified: 'r."lastModified"',
          content_hash: 'r."contentHash"',
          content_length: 'r."contentLength"',
          charset: 'r.charset',
          canonical_url: 'r."canonicalUrl"',
          link_count: 'r."linkCount"',
          duration_ms: 'r."durationMs"',
          headers: 'r.headers',
          content: 'substring($3::bytea FROM r."bodyAt" + 1 FOR r."bodyLength")',
        })[c];
      const text = `${INSERT_INTO}
        SELECT $1, ${COLUMNS.map(col).join(', ')}, ${metadataSql(col)}
        FROM json_to_recordset($2::json) AS r(url text, "finalUrl" text, status int, title text,
          depth int, "contentType" text, "fetchedAt" float8, error text, "errorMessage" text,
          attempts int, etag text, "lastModified" text, "contentHash" text, "contentLength" int8,
          charset text, "canonicalUrl" text, "linkCount" int, "durationMs" int, headers jsonb,
          "bodyAt" int, "bodyLength" int)
        ${ON_CONFLICT}`;
      return pool.query(text, [
        jobId,
        JSON.stringify(docs),
        bodies.length > 0 ? Buffer.concat(bodies) : null,
      ]);
    }),
};

const sink: Candidate = {
  name: 'sink',
  async open(url) {
    const pool = createPgPool({ url, max: 1 });
    const s = createPostgresPageSink(pool);
    return {
      write: (jobId, pages) => s.writeBatch(jobId, pages),
      backendPid: async () =>
        (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid,
      close: async () => {
        await s.close();
        await pool.end();
      },
    };
  },
};

const CANDIDATES = [multiRow, unnest, postgresJs, json, sink].filter(
  (c) => args.only === undefined || args.only.split(',').includes(c.name),
);

// ---------------------------------------------------------------------------------------
// Measuring

/** utime + stime of a local process, ms; null when /proc cannot tell (remote server). */
function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

interface Sample {
  rowsPerSecond: number;
  clientCpuMsPer1k: number;
  serverCpuMsPer1k: number | null;
}

async function runOnce(
  candidate: Candidate,
  url: string,
  admin: pg.Pool,
  batches: PageRecord[][],
): Promise<Sample> {
  await admin.query('TRUNCATE crawled_data');
  const writer = await candidate.open(url);
  try {
    const pid = await writer.backendPid();
    // One warm-up batch (connection set-up, statement caches), then truncate again.
    await writer.write('warm-up', batches[0]!.slice(0, 50));
    await admin.query('TRUNCATE crawled_data');
    const serverBefore = processCpuMs(pid);
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    for (const batch of batches) await writer.write('bench-job', batch);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = processCpuMs(pid);
    const rows = batches.reduce((n, b) => n + b.length, 0);
    const stored = await admin.query<{ n: string }>('SELECT count(*) AS n FROM crawled_data');
    if (Number(stored.rows[0]!.n) !== rows) {
      throw new Error(`${candidate.name} stored ${stored.rows[0]!.n} rows, expected ${rows}`);
    }
    return {
      rowsPerSecond: rows / seconds,
      clientCpuMsPer1k: ((cpu.user + cpu.system) / 1000 / rows) * 1000,
      serverCpuMsPer1k:
        serverBefore === null || serverAfter === null
          ? null
          : ((serverAfter - serverBefore) / rows) * 1000,
    };
  } finally {
    await writer.close();
  }
}

function fmt(s: Spread | null, digits = 0): string {
  if (s === null) return 'n/a';
  const f = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: digits });
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

async function main(): Promise<void> {
  const schema = `bench_${Math.random().toString(36).slice(2, 10)}`;
  const base = new pg.Pool({ connectionString: args.url, max: 1 });
  await base.query(`CREATE SCHEMA ${schema}`);
  const url = `${args.url}${args.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const admin = createPgPool({ url, max: 1 });
  try {
    await migratePostgres(admin);
    const compression = args['content-compression'];
    if (compression !== undefined) {
      if (!/^(pglz|lz4)$/.test(compression)) throw new Error(`bad compression: ${compression}`);
      await admin.query(
        `ALTER TABLE crawled_data ALTER COLUMN content SET COMPRESSION ${compression}`,
      );
    }
    const variants = [
      { name: 'no body', withBody: false, batches: BATCHES },
      // 500 bodies of 20 KB are 10 MB a batch: fewer batches keep a round short.
      { name: '20 KB bodies', withBody: true, batches: Math.max(2, Math.ceil(BATCHES / 4)) },
    ];
    for (const variant of variants) {
      const records = makeRecords(variant.batches * BATCH_SIZE, variant.withBody);
      const batches: PageRecord[][] = [];
      for (let i = 0; i < records.length; i += BATCH_SIZE) {
        batches.push(records.slice(i, i + BATCH_SIZE));
      }
      const samples = new Map<string, Sample[]>(CANDIDATES.map((c) => [c.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        // Rotate the order each round so no candidate always runs first (or last).
        const order = CANDIDATES.map((_, i) => CANDIDATES[(i + round) % CANDIDATES.length]!);
        for (const c of order) {
          const s = await runOnce(c, url, admin, batches);
          samples.get(c.name)!.push(s);
          console.error(
            `${variant.name} round ${round + 1} ${c.name}: ${Math.round(s.rowsPerSecond)} rows/s`,
          );
        }
      }
      console.log(
        `\n### ${variant.name}: ${variant.batches} batches of ${BATCH_SIZE}, ${ROUNDS} rounds\n`,
      );
      // Rounds share the VM's mood, so a ratio within a round is steadier than rows/s.
      const reference = CANDIDATES.find((c) => c.name === 'sink') ?? CANDIDATES[0]!;
      const ref = samples.get(reference.name)!;
      console.log(
        `| candidate | rows/s median (min–max) | × ${reference.name}, same round | Node CPU ms / 1k rows | server CPU ms / 1k rows |`,
      );
      console.log('|---|---|---|---|---|');
      for (const c of CANDIDATES) {
        const s = samples.get(c.name)!;
        const ratio = summarize(s.map((x, i) => x.rowsPerSecond / ref[i]!.rowsPerSecond));
        console.log(
          `| ${c.name} | ${fmt(summarize(s.map((x) => x.rowsPerSecond)))} | ${fmt(ratio, 2)} | ${fmt(summarize(s.map((x) => x.clientCpuMsPer1k)), 1)} | ${fmt(summarize(s.map((x) => x.serverCpuMsPer1k)), 1)} |`,
        );
      }
    }
  } finally {
    await admin.end();
    await base.query(`DROP SCHEMA ${schema} CASCADE`);
    await base.end();
  }
}

await main();
