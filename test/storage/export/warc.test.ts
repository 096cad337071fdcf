/** WARC 1.1 exports read back by warcio.js (Webrecorder), plain and gzipped per record. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { WARCParser, type WARCRecord } from 'warcio';
import type { PageRecord } from '../../../src/core/types.js';
import { writeExport } from '../../../src/storage/export/write-export.js';
import { tempDir } from '../../support/temp-dir.js';
import { asyncPages, storedPage } from './fixtures.js';

let dir: { path: string; cleanup: () => Promise<void> };
before(async () => (dir = await tempDir('trawl-warc-')));
after(() => dir.cleanup());

interface Read {
  record: WARCRecord;
  type: string;
  payload: Buffer;
}

async function readWarc(path: string): Promise<Read[]> {
  const out: Read[] = [];
  for await (const record of new WARCParser(createReadStream(path))) {
    const payload = Buffer.from(await record.readFully(false));
    out.push({ record, type: record.warcType, payload });
  }
  return out;
}

/** RFC 4648 base32 by BigInt arithmetic, independent of the writer's bit loop. */
function base32Sha1(data: Buffer): string {
  let n = BigInt(`0x${createHash('sha1').update(data).digest('hex')}`);
  let s = '';
  for (let i = 0; i < 32; i++) {
    s = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[Number(n & 31n)] + s;
    n >>= 5n;
  }
  return `sha1:${s}`;
}

const PAGES: PageRecord[] = Array.from({ length: 6 }, (_, i) => storedPage(i));

describe('WARC export (read by warcio)', () => {
  for (const name of ['pages.warc', 'pages.warc.gz']) {
    test(`${name}: warcinfo, request/response pairs, metadata for failures`, async () => {
      const path = join(dir.path, name);
      const n = await writeExport(asyncPages(PAGES), path, 'warc', {
        warc: { userAgent: 'trawl-test/1' },
      });
      assert.equal(n, PAGES.length);
      const raw = await readFile(path);
      if (name.endsWith('.gz')) {
        assert.equal(raw[0], 0x1f, 'gzip magic');
        assert.match(gunzipSync(raw).subarray(0, 8).toString(), /^WARC\/1\.1/);
      }
      const records = await readWarc(path);
      assert.equal(records[0]!.type, 'warcinfo');
      assert.match(records[0]!.payload.toString(), /format: WARC File Format 1\.1/);
      const infoId = records[0]!.record.warcHeader('WARC-Record-ID');

      let i = 1;
      for (const page of PAGES) {
        if (page.body === null) {
          const meta = records[i++]!;
          assert.equal(meta.type, 'metadata');
          assert.equal(meta.record.warcTargetURI, page.url);
          assert.match(meta.payload.toString(), /error: timeout\r\n/);
          assert.match(meta.payload.toString(), /errorMessage: no response within 15000 ms/);
          continue;
        }
        const req = records[i++]!;
        const res = records[i++]!;
        const uri = page.finalUrl!;
        assert.equal(req.type, 'request');
        assert.equal(res.type, 'response');
        for (const r of [req, res]) {
          assert.equal(r.record.warcTargetURI, uri);
          assert.equal(r.record.warcDate, new Date(page.fetchedAt).toISOString());
          assert.match(r.record.warcHeader('WARC-Record-ID') ?? '', /^<urn:uuid:[0-9a-f-]{36}>$/);
          assert.equal(r.record.warcHeader('WARC-Warcinfo-ID'), infoId);
        }
        assert.deepEqual(req.record.warcConcurrentTo, [res.record.warcHeader('WARC-Record-ID')]);
        assert.deepEqual(res.record.warcConcurrentTo, [req.record.warcHeader('WARC-Record-ID')]);
        assert.equal(req.record.warcContentType, 'application/http;msgtype=request');
        assert.equal(res.record.warcContentType, 'application/http;msgtype=response');

        const u = new URL(uri);
        assert.equal(req.record.httpHeaders?.method, 'GET');
        assert.equal(req.record.httpHeaders?.requestPath, `${u.pathname}${u.search}`);
        assert.equal(req.record.httpHeaders?.headers.get('host'), u.host);
        assert.equal(req.record.httpHeaders?.headers.get('user-agent'), 'trawl-test/1');
        assert.equal(req.record.httpHeaders?.headers.get('accept-encoding'), 'gzip, deflate, br');

        const http = res.record.httpHeaders!;
        assert.equal(Number(http.statusCode), page.status);
        assert.equal(http.headers.get('content-type'), page.headers['content-type']);
        assert.equal(http.headers.get('server'), 'test');
        // Fixed up to the stored, decoded body.
        assert.equal(http.headers.get('content-length'), String(page.body.length));
        assert.equal(http.headers.get('content-encoding'), null);
        assert.deepEqual(res.payload, page.body);
        assert.equal(res.record.warcPayloadDigest, base32Sha1(page.body));
        if (page.url !== uri)
          assert.equal(res.record.warcHeader('WARC-Trawl-Requested-URI'), page.url);
      }
      assert.equal(i, records.length);
    });
  }

  test('block digests cover the whole HTTP message', async () => {
    const path = join(dir.path, 'digest.warc');
    await writeExport(asyncPages(PAGES.slice(0, 1)), path, 'warc');
    // Split the raw file ourselves: version line, headers, blank line, block.
    const raw = await readFile(path);
    let at = 0;
    const blocks: { headers: string; block: Buffer }[] = [];
    while (at < raw.length) {
      const end = raw.indexOf('\r\n\r\n', at);
      const headers = raw.subarray(at, end).toString();
      const length = Number(/Content-Length: (\d+)/.exec(headers)![1]);
      blocks.push({ headers, block: raw.subarray(end + 4, end + 4 + length) });
      at = end + 4 + length + 4;
    }
    assert.equal(blocks.length, 3);
    for (const { headers, block } of blocks.slice(1)) {
      assert.equal(/WARC-Block-Digest: (\S+)/.exec(headers)![1], base32Sha1(block));
    }
  });

  test('a successful page without a stored body fails the export and leaves no file', async () => {
    const sub = join(dir.path, 'nobody');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    const path = join(sub, 'x.warc');
    await assert.rejects(
      writeExport(asyncPages([storedPage(0, false)]), path, 'warc'),
      (err: Error & { code?: string }) => err.code === 'usage' && /--store-body/.test(err.message),
    );
    assert.deepEqual(await readdir(sub), []);
  });
});
