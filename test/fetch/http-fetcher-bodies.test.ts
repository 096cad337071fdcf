import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import type { TrawlError } from '../../src/core/errors.js';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import { failure } from '../support/expect-trawl-error.js';
import { listen, shut } from '../support/loopback-server.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const MiB = 1024 * 1024;
/** ~60 KB of text that compresses like a real page, so it spans several reads. */
const PAGE = Buffer.from(
  Array.from({ length: 2000 }, (_, i) => `<li><a href="/item/${i}">Item ${i}</a></li>\n`).join(''),
);

/**
 * ~300 KB of hex that compresses only ~2x: its compressed form is well over the size
 * the fetcher decodes in one call, so it exercises the streaming decoder.
 */
const BIG = Buffer.from(randomBytes(150 * 1024).toString('hex'));

const CODINGS: Record<string, (body: Buffer) => Buffer> = {
  gzip: (b) => zlib.gzipSync(b),
  'x-gzip': (b) => zlib.gzipSync(b),
  'deflate-zlib': (b) => zlib.deflateSync(b),
  'deflate-raw': (b) => zlib.deflateRawSync(b),
  br: (b) => zlib.brotliCompressSync(b),
  // gzip applied first, then br: decoded br first, then gzip.
  'gzip-br': (b) => zlib.brotliCompressSync(zlib.gzipSync(b)),
};

function headerOf(name: string): string {
  return name.startsWith('deflate') ? 'deflate' : name === 'gzip-br' ? 'gzip, br' : name;
}

function encoded(encoding: string, body: Buffer): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Encoding': encoding, 'Content-Length': body.length });
    res.end(body);
  };
}

// 10 MiB of zeros gzips to ~10 KB; a hundred such members back to back are one valid
// gzip stream of 1000 MiB in ~1 MB. Decoding it all would take seconds and a GiB.
const bombMember = zlib.gzipSync(Buffer.alloc(10 * MiB));
const gzipBomb = Buffer.concat(Array.from({ length: 100 }, () => bombMember));
// The bomb gzipped once more: an inner stage that must not balloon either.
const nestedBomb = zlib.gzipSync(gzipBomb);

/** What the server saw of the lazily streamed 200 MB body. */
let hugeOutcome: Promise<{ sent: number; finished: boolean }> = Promise.resolve({
  sent: 0,
  finished: false,
});

const routes: Record<string, Handler> = {
  ...Object.fromEntries(
    Object.entries(CODINGS).flatMap(([name, encode]) => [
      [`/${name}`, encoded(headerOf(name), encode(PAGE))],
      [`/big/${name}`, encoded(headerOf(name), encode(BIG))],
    ]),
  ),
  '/big/deflate-zlib-split': (_req, res) => {
    // One byte first: too little to tell zlib-wrapped from raw deflate.
    const body = zlib.deflateSync(BIG);
    res.writeHead(200, { 'Content-Encoding': 'deflate' });
    res.write(body.subarray(0, 1));
    setTimeout(() => res.end(body.subarray(1)), 30);
  },
  '/unknown': encoded('compress', PAGE),
  '/identity': encoded('identity', PAGE),
  '/empty-gzip': (_req, res) => {
    res.writeHead(204, { 'Content-Encoding': 'gzip' });
    res.end();
  },
  '/corrupt-gzip': encoded('gzip', Buffer.from('this is not gzip data at all, sorry')),
  '/gzip-cut-close': (_req, res) => {
    // A close-delimited body: the HTTP message is complete, the gzip stream is not.
    const gz = zlib.gzipSync(PAGE);
    res.useChunkedEncodingByDefault = false;
    res.writeHead(200, { 'Content-Encoding': 'gzip', Connection: 'close' });
    res.end(gz.subarray(0, gz.length >> 1));
  },
  '/gzip-cut-length': (_req, res) => {
    // Content-Length promises more than the server sends before hanging up.
    const gz = zlib.gzipSync(PAGE);
    res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': gz.length });
    res.write(gz.subarray(0, gz.length >> 1), () => res.destroy());
  },
  '/bomb': encoded('gzip', gzipBomb),
  '/nested-bomb': encoded('gzip, gzip', nestedBomb),
  '/huge': (_req, res) => {
    const total = 200 * 1000 * 1000;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    hugeOutcome = new Promise((resolve) => {
      res.on('close', () => resolve({ sent, finished: res.writableFinished }));
    });
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  },
  '/declared-huge': (_req, res) => {
    // Declares 200 MB and sends nothing: a fetcher that starts reading waits forever.
    res.writeHead(200, { 'Content-Length': 200 * 1000 * 1000 });
    res.flushHeaders();
  },
  '/robots': encoded('identity', PAGE),
  '/robots-gzip': encoded('gzip', zlib.gzipSync(PAGE)),
};

let server: http.Server;
let base: string;

before(async () => {
  ({ server, base } = await listen((req, res) => {
    const route = routes[req.url ?? ''];
    if (route) route(req, res);
    else res.writeHead(500).end('no route');
  }));
});

after(() => shut(server));

/** Runs `fn` while sampling external (Buffer) memory; returns the peak growth in bytes. */
async function peakBufferGrowth(fn: () => Promise<unknown>): Promise<number> {
  const start = process.memoryUsage().arrayBuffers;
  let peak = start;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 2);
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage().arrayBuffers) - start;
}

const fetcher = new HttpFetcher({ userAgent: 'TrawlTest/1.0' });
after(() => fetcher.close());

describe('HttpFetcher: content decoding', () => {
  for (const name of Object.keys(CODINGS)) {
    test(`decodes ${name}, small and streamed`, async () => {
      const res = await fetcher.fetch(`${base}/${name}`);
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(PAGE), `${res.body.length} bytes, expected ${PAGE.length}`);
      assert.ok(res.wireBytes < PAGE.length / 4, `wireBytes ${res.wireBytes}`);
      const big = await fetcher.fetch(`${base}/big/${name}`);
      assert.ok(big.body.equals(BIG), `${big.body.length} bytes, expected ${BIG.length}`);
      assert.ok(big.wireBytes > 100 * 1024 && big.wireBytes < BIG.length);
    });
  }

  test('zlib deflate whose first read is a single byte', async () => {
    const res = await fetcher.fetch(`${base}/big/deflate-zlib-split`);
    assert.ok(res.body.equals(BIG));
  });

  test('passes identity and unknown codings through unchanged', async () => {
    for (const path of ['/identity', '/unknown']) {
      const res = await fetcher.fetch(`${base}${path}`);
      assert.ok(res.body.equals(PAGE));
      assert.equal(res.wireBytes, PAGE.length);
    }
  });

  test('an empty body with a Content-Encoding is just empty', async () => {
    const res = await fetcher.fetch(`${base}/empty-gzip`);
    assert.equal(res.status, 204);
    assert.equal(res.body.length, 0);
  });

  test('corrupt gzip: bad_encoding with the status', async () => {
    const err = await failure(() => fetcher.fetch(`${base}/corrupt-gzip`));
    assert.equal(err.code, 'bad_encoding');
    assert.equal(err.status, 200);
    assert.ok(err.cause instanceof Error);
  });

  test('gzip cut short: bad_encoding in a complete message, network if the connection broke', async () => {
    const closed = await failure(() => fetcher.fetch(`${base}/gzip-cut-close`));
    assert.equal(closed.code, 'bad_encoding');
    const broken = await failure(() => fetcher.fetch(`${base}/gzip-cut-length`));
    assert.equal(broken.code, 'network');
    assert.equal(broken.status, 200);
  });
});

describe('HttpFetcher: size limits', () => {
  test('a gzip bomb is stopped at maxBodyBytes of output, in bounded memory', async () => {
    let err: TrawlError | undefined;
    const started = performance.now();
    const growth = await peakBufferGrowth(async () => {
      err = await failure(() => fetcher.fetch(`${base}/bomb`));
    });
    const elapsed = performance.now() - started;
    assert.equal(err?.code, 'decompression_bomb');
    assert.equal(err?.status, 200);
    assert.ok(growth < 64 * MiB, `buffers grew by ${Math.round(growth / MiB)} MiB`);
    assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
  });

  test('a bomb inside a second gzip layer is stopped the same way', async () => {
    let err: TrawlError | undefined;
    const growth = await peakBufferGrowth(async () => {
      err = await failure(() => fetcher.fetch(`${base}/nested-bomb`));
    });
    assert.equal(err?.code, 'decompression_bomb');
    assert.ok(growth < 64 * MiB, `buffers grew by ${Math.round(growth / MiB)} MiB`);
  });

  test('a 200 MB body: too_large, and the download is dropped early', async () => {
    const err = await failure(() => fetcher.fetch(`${base}/huge`));
    assert.equal(err.code, 'too_large');
    assert.equal(err.status, 200);
    const seen = await hugeOutcome;
    assert.equal(seen.finished, false);
    assert.ok(seen.sent < 50 * 1000 * 1000, `server sent ${seen.sent} bytes`);
  });

  test('a Content-Length over the limit fails before reading', async () => {
    const err = await failure(() => fetcher.fetch(`${base}/declared-huge`));
    assert.equal(err.code, 'too_large');
    assert.match(err.message, /Content-Length/);
  });

  test('truncateBody keeps the first maxBodyBytes, plain or gzipped', async () => {
    // Both declare a Content-Length far over the limit: truncation reads anyway.
    for (const path of ['/robots', '/robots-gzip']) {
      const res = await fetcher.fetch(`${base}${path}`, { maxBodyBytes: 1000, truncateBody: true });
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(PAGE.subarray(0, 1000)), `${path}: ${res.body.length} bytes`);
    }
    const whole = await fetcher.fetch(`${base}/robots`, {
      maxBodyBytes: 1000 * 1000,
      truncateBody: true,
    });
    assert.ok(whole.body.equals(PAGE));
  });

  test('per-request maxBodyBytes applies to the decoded size', async () => {
    const err = await failure(() => fetcher.fetch(`${base}/gzip`, { maxBodyBytes: 10_000 }));
    assert.equal(err.code, 'too_large');
  });
});
