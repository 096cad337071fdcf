/**
 * The artifact-store contract, run against both adapters as main/ composes them: a
 * directory (openArtifactStore(dir)) and an S3 bucket (openArtifactStore('s3://...') with
 * credentials and endpoint in env). The S3 side talks to a real S3 implementation that
 * checks SigV4 signatures: s3rver (the @20minutes fork, Node >= 20), spawned by this file
 * in its own process on a kernel-chosen loopback port, with its data in a temp dir, and
 * stopped after. Each test gets a fresh directory or a fresh bucket.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { S3ArtifactStore } from '../../src/backends/s3/s3-artifact-store.js';
import { openArtifactStore, parseArtifactTarget } from '../../src/main/artifact-store.js';
import type { ArtifactStore } from '../../src/storage/artifacts/artifact-store.js';
import { startTestServer } from '../support/http-server.js';
import { tempDir } from '../support/temp-dir.js';
import {
  listKeys,
  S3RVER_KEY,
  s3Request,
  startS3Server,
  type S3Server,
} from '../support/s3-server.js';

interface Harness {
  store: ArtifactStore;
  /** The location a put of `key` must report. */
  location(key: string): string;
  /**
   * The artifact keys the backend holds, sorted. Anything else it holds (a file outside the
   * directory, a temp file, an object outside the prefix) is listed too, marked with "!".
   */
  list(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** Binary, with every byte value, and no trailing newline a text path could add or eat. */
function bytes(n: number, seed = 0): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function artifactStoreContract(open: () => Promise<Harness>): void {
  let h: Harness;
  beforeEach(async () => {
    h = await open();
  });
  afterEach(() => h.cleanup());

  test('put then get returns the same bytes and type', async () => {
    const body = bytes(1000);
    const stored = await h.store.put('job-1/a1b2.png', body, 'image/png');
    assert.deepEqual(stored, {
      key: 'job-1/a1b2.png',
      location: h.location('job-1/a1b2.png'),
      bytes: 1000,
      contentType: 'image/png',
    });
    const got = await h.store.get('job-1/a1b2.png');
    assert.ok(got);
    assert.ok(got.body.equals(body));
    assert.equal(got.contentType, 'image/png');
    assert.deepEqual(await h.list(), ['job-1/a1b2.png']);
  });

  test('an empty body round-trips', async () => {
    const stored = await h.store.put('empty.bin', new Uint8Array(0), 'application/octet-stream');
    assert.equal(stored.bytes, 0);
    const got = await h.store.get('empty.bin');
    assert.equal(got?.body.length, 0);
  });

  test('put replaces what was there, bytes and type', async () => {
    await h.store.put(
      'job-1/page.pdf',
      Buffer.from('first, and longer than the second'),
      'text/plain',
    );
    await h.store.put('job-1/page.pdf', bytes(7, 3), 'application/pdf');
    const got = await h.store.get('job-1/page.pdf');
    assert.ok(got?.body.equals(bytes(7, 3)));
    assert.equal(got?.contentType, 'application/pdf');
    assert.deepEqual(await h.list(), ['job-1/page.pdf']);
  });

  test('get of a missing key is null, also where a longer key made a "directory"', async () => {
    assert.equal(await h.store.get('job-1/none.png'), null);
    await h.store.put('job-1/deep/x.png', bytes(3), 'image/png');
    assert.equal(await h.store.get('job-1/deep'), null);
    assert.equal(await h.store.get('job-1'), null);
    assert.equal(await h.store.get('job-1/deep/x.png/y'), null);
  });

  test('a bad key is refused, by put and get, and writes nothing', async () => {
    const bad = ['../x', '/abs', 'a//b', 'a/../b', './x', 'a/.', 'a b', 'a\\b', 'é.png', ''];
    for (const key of bad) {
      await assert.rejects(h.store.put(key, bytes(10), 'image/png'), /is not valid/, key);
      await assert.rejects(h.store.get(key), /is not valid/, key);
    }
    await assert.rejects(h.store.put('ok.png', bytes(1), 'image/png\r\nx-evil: 1'), /not valid/);
    assert.deepEqual(await h.list(), []);
  });

  test('a 2 MB binary body round-trips, from a view into a larger buffer', async () => {
    const backing = randomBytes(2 * 1024 * 1024 + 64);
    // A Uint8Array with an offset: the adapter must take the view, not its whole buffer.
    const body = new Uint8Array(backing.buffer, backing.byteOffset + 32, 2 * 1024 * 1024);
    const stored = await h.store.put('job-2/full-page.png', body, 'image/png');
    assert.equal(stored.bytes, 2 * 1024 * 1024);
    const got = await h.store.get('job-2/full-page.png');
    assert.ok(got);
    assert.equal(got.body.length, body.byteLength);
    assert.ok(got.body.equals(body));
  });

  test('concurrent puts of different keys all land', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `job-3/${i % 4}/shot-${i}.png`);
    const stored = await Promise.all(
      keys.map((key, i) => h.store.put(key, bytes(5000 + i, i), 'image/png')),
    );
    assert.deepEqual(
      stored.map((s) => s.key),
      keys,
    );
    for (const [i, key] of keys.entries()) {
      const got = await h.store.get(key);
      assert.ok(got?.body.equals(bytes(5000 + i, i)), key);
    }
    assert.deepEqual(await h.list(), [...keys].sort());
  });

  test('after close, put is refused', async () => {
    await h.store.put('job-5/a.png', bytes(3), 'image/png');
    await h.store.close();
    await assert.rejects(h.store.put('job-5/b.png', bytes(3), 'image/png'), /closed/);
  });
}

/** Every file under `dir`, relative to it, with "/" separators, sorted. */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

describe('artifact store: directory', () => {
  artifactStoreContract(async () => {
    // The store is one level down, so a write that escaped it would still be seen.
    const root = await tempDir('trawl-artifacts-');
    const dir = join(root.path, 'store');
    const store = openArtifactStore(dir);
    return {
      store,
      location: (key) => pathToFileURL(join(dir, key)).href,
      async list() {
        const files = new Set(await walk(root.path));
        const out: string[] = [];
        for (const file of files) {
          if (!file.startsWith('store/')) out.push(`!${file}`);
          else if (file.endsWith('~type') && files.has(file.slice(0, -'~type'.length))) continue;
          else out.push(file.slice('store/'.length));
        }
        return out.sort();
      },
      async cleanup() {
        await store.close();
        await root.cleanup();
      },
    };
  });

  // Directory only: s3rver writes an object's file in place, so concurrent puts of one key
  // interleave there (real S3 keeps the last whole). The adapter's part is its own.
  test('concurrent puts of one key leave one of them whole, with its own type', async () => {
    const root = await tempDir('trawl-artifacts-');
    try {
      const store = openArtifactStore(root.path);
      const bodies = Array.from({ length: 8 }, (_, i) => bytes(100_000 + i * 1000, i));
      await Promise.all(bodies.map((b, i) => store.put('j/same.png', b, `image/x-${i}`)));
      const got = await store.get('j/same.png');
      assert.ok(got);
      const which = bodies.findIndex((b) => b.equals(got.body));
      assert.notEqual(which, -1, 'the stored bytes are one put, not a mix');
      assert.equal(got.contentType, `image/x-${which}`);
      assert.deepEqual(await walk(root.path), ['j/same.png', 'j/same.png~type']);
      await store.close();
    } finally {
      await root.cleanup();
    }
  });

  test('the location is a file: URL of the very file, and the type its sidecar', async () => {
    const root = await tempDir('trawl-artifacts-');
    try {
      const store = openArtifactStore(root.path);
      const stored = await store.put('j/shot.png', bytes(64), 'image/png');
      const path = fileURLToPath(stored.location);
      assert.equal(path, join(root.path, 'j', 'shot.png'));
      assert.ok((await readFile(path)).equals(bytes(64)));
      assert.equal(await readFile(`${path}~type`, 'utf8'), 'image/png\n');
      await store.close();
    } finally {
      await root.cleanup();
    }
  });

  test('a key that runs into a file fails clearly and leaves that file alone', async () => {
    const root = await tempDir('trawl-artifacts-');
    try {
      const store = openArtifactStore(root.path);
      await store.put('j/a', bytes(5), 'text/plain');
      await assert.rejects(store.put('j/a/b', bytes(5), 'text/plain'), /directory of "j\/a\/b"/);
      assert.ok((await store.get('j/a'))?.body.equals(bytes(5)));
      await store.close();
    } finally {
      await root.cleanup();
    }
  });
});

describe('artifact store: S3 (s3rver)', { timeout: 120_000 }, () => {
  let server: S3Server;
  before(async () => {
    server = await startS3Server();
  });
  after(() => server?.stop());

  const env = (overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    AWS_ACCESS_KEY_ID: S3RVER_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_KEY.secretAccessKey,
    TRAWL_S3_ENDPOINT: server.endpoint,
    ...overrides,
  });

  artifactStoreContract(async () => {
    const bucket = `trawl-${randomBytes(6).toString('hex')}`;
    const created = await s3Request(server.endpoint, 'PUT', `/${bucket}`);
    assert.equal(created.status, 200, created.body);
    const prefix = 'crawls/2026';
    const store = openArtifactStore(`s3://${bucket}/${prefix}/`, env());
    return {
      store,
      location: (key) => `s3://${bucket}/${prefix}/${key}`,
      async list() {
        const keys = await listKeys(server.endpoint, bucket);
        return keys
          .map((k) => (k.startsWith(`${prefix}/`) ? k.slice(prefix.length + 1) : `!${k}`))
          .sort();
      },
      cleanup: () => store.close(),
    };
  });

  test('a put to a bucket that does not exist names NoSuchBucket, bucket and key', async () => {
    const store = openArtifactStore('s3://no-such-bucket-here/p', env());
    try {
      await assert.rejects(store.put('j/a.png', bytes(10), 'image/png'), (error: Error) => {
        assert.match(error.message, /NoSuchBucket/);
        assert.match(error.message, /s3:\/\/no-such-bucket-here\/p\/j\/a\.png/);
        assert.doesNotMatch(error.message, /<\?xml|<Error>/);
        assert.equal((error as { code?: string }).code, 'NoSuchBucket');
        return true;
      });
      // A missing bucket is a setup error, not "no such artifact".
      await assert.rejects(store.get('j/a.png'), /NoSuchBucket/);
    } finally {
      await store.close();
    }
  });

  test('a wrong secret fails naming SignatureDoesNotMatch, with no XML dump', async () => {
    const store = openArtifactStore(
      's3://any-bucket',
      env({ AWS_SECRET_ACCESS_KEY: 'not-the-secret' }),
    );
    try {
      await assert.rejects(store.put('j/a.png', bytes(10), 'image/png'), (error: Error) => {
        assert.match(error.message, /SignatureDoesNotMatch/);
        assert.match(error.message, /s3:\/\/any-bucket\/j\/a\.png/);
        assert.doesNotMatch(error.message, /<\?xml|<Error>|StringToSign/);
        return true;
      });
    } finally {
      await store.close();
    }
  });

  test('an unknown access key fails naming InvalidAccessKeyId', async () => {
    const store = openArtifactStore('s3://any-bucket', env({ AWS_ACCESS_KEY_ID: 'NOBODY' }));
    try {
      await assert.rejects(store.put('j/a.png', bytes(10), 'image/png'), /InvalidAccessKeyId/);
    } finally {
      await store.close();
    }
  });
});

describe('artifact store: S3 retries', () => {
  test('throttling is retried up to maxAttempts, then reported by its code', async () => {
    const server = await startTestServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
    });
    const store = new S3ArtifactStore({
      bucket: 'throttled',
      endpoint: server.origin,
      credentials: S3RVER_KEY,
      maxAttempts: 3,
    });
    try {
      await assert.rejects(
        store.put('a.png', bytes(10), 'image/png'),
        /S3 put s3:\/\/throttled\/a\.png failed: SlowDown \(HTTP 503\): Please reduce your request rate\.$/,
      );
      assert.equal(server.hits('/throttled/a.png'), 3);
    } finally {
      await store.close();
      await server.close();
    }
  });

  test('a refusal is not retried, and a body that is not S3 XML is not quoted', async () => {
    const server = await startTestServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/html' });
      res.end('<html><body>Forbidden by proxy</body></html>');
    });
    const store = new S3ArtifactStore({
      bucket: 'refused',
      endpoint: server.origin,
      credentials: S3RVER_KEY,
    });
    try {
      await assert.rejects(store.put('a.png', bytes(10), 'image/png'), (error: Error) => {
        assert.equal(
          error.message,
          'S3 put s3://refused/a.png failed: HTTP_403 (HTTP 403): access denied',
        );
        return true;
      });
      assert.equal(server.hits('/refused/a.png'), 1);
    } finally {
      await store.close();
      await server.close();
    }
  });
});

describe('openArtifactStore / parseArtifactTarget', () => {
  test('directories, relative or file: URLs, and s3:// targets', () => {
    assert.deepEqual(parseArtifactTarget('out/artifacts'), {
      kind: 'dir',
      dir: resolve('out/artifacts'),
    });
    assert.deepEqual(parseArtifactTarget('file:///var/trawl/a'), {
      kind: 'dir',
      dir: '/var/trawl/a',
    });
    assert.deepEqual(parseArtifactTarget('s3://my-bucket'), {
      kind: 's3',
      bucket: 'my-bucket',
      prefix: '',
    });
    assert.deepEqual(parseArtifactTarget('s3://my.bucket/crawls/2026/'), {
      kind: 's3',
      bucket: 'my.bucket',
      prefix: 'crawls/2026',
    });
  });

  test('a bad target is refused with a reason', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['s3://', /names no bucket/],
      ['s3:///prefix', /names no bucket/],
      ['s3:my-bucket', /write s3:\/\/bucket/],
      ['s3://My_Bucket', /lowercase letters, digits/],
      ['s3://ab', /3 to 63/],
      ['s3://-bucket', /begin and end/],
      ['s3://a..b', /adjacent/],
      ['s3://192.168.1.1', /IP address/],
      ['s3://xn--bucket', /reserved/],
      ['s3://my-bucket/../x', /prefix/],
      ['s3://my-bucket/a//b', /prefix/],
      ['gs://my-bucket', /only s3:\/\//],
    ];
    for (const [target, reason] of cases) {
      assert.throws(() => parseArtifactTarget(target), reason, target);
    }
  });

  test('s3:// without a credential names the env var; bad settings are refused', () => {
    assert.throws(
      () => openArtifactStore('s3://my-bucket', {}),
      /s3:\/\/my-bucket needs credentials: set AWS_ACCESS_KEY_ID/,
    );
    assert.throws(
      () =>
        openArtifactStore('s3://my-bucket', { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: '' }),
      /set AWS_SECRET_ACCESS_KEY/,
    );
    const keys = { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' };
    assert.throws(
      () => openArtifactStore('s3://my-bucket', { ...keys, TRAWL_S3_ENDPOINT: 'ftp://x' }),
      /TRAWL_S3_ENDPOINT.*http/,
    );
    assert.throws(
      () => openArtifactStore('s3://my-bucket', { ...keys, TRAWL_S3_FORCE_PATH_STYLE: 'yes' }),
      /TRAWL_S3_FORCE_PATH_STYLE/,
    );
    // No I/O until used: an unreachable endpoint still opens.
    const store = openArtifactStore('s3://my-bucket', {
      ...keys,
      TRAWL_S3_ENDPOINT: 'http://127.0.0.1:9',
      TRAWL_S3_FORCE_PATH_STYLE: 'true',
    });
    assert.ok(store instanceof S3ArtifactStore);
    return store.close();
  });
});
