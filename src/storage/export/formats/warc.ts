/**
 * WARC 1.1 from page records: a `warcinfo` record first, then per page with a body a
 * `request` record (the GET as the fetcher sent it, reconstructed) and a `response`
 * record (status line, stored headers, body), linked both ways by WARC-Concurrent-To.
 * A page without a body (a failed fetch, or a crawl that kept no bodies) becomes a
 * `metadata` record (`application/warc-fields`: status, error, errorMessage, …).
 *
 * Not byte-exact, because Trawl keeps the decoded body and a subset of the headers:
 * the response record is made consistent with what is stored (no Content-Encoding or
 * Transfer-Encoding, Content-Length = the stored body's length), and the request's
 * headers are the fetcher's defaults, not a recording. docs/exports.md has the details.
 *
 * Records are gzipped one by one (a `.warc.gz` readers can seek in) when `gzip` is on.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { OutputFile } from '../output-file.js';
import type { RecordWriter } from '../record-writer.js';
import {
  httpRequest,
  httpResponseHead,
  recordId,
  sha1Digest,
  warcDate,
  warcRecord,
  type RequestHeaders,
  type WarcFields,
} from './warc-record.js';

const gzip = promisify(gzipCb);

export interface WarcOptions {
  /** Gzip each record. @default true when the path ends in `.gz` */
  gzip?: boolean;
  /** The User-Agent the crawl sent (the request records show it). @default 'trawl' */
  userAgent?: string;
  /** The `software` of the warcinfo record. @default 'trawl' */
  software?: string;
  /** Extra `name: value` lines for the warcinfo record (e.g. `isPartOf`, `operator`). */
  info?: Readonly<Record<string, string>>;
}

/** What the HTTP fetcher sends besides the User-Agent (src/fetch/http/http-fetcher.ts). */
const ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const ACCEPT_ENCODING = 'gzip, deflate, br';
const WARC_1_1 = 'http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/';

/** A WARC writer at `path`; records are page records (url, finalUrl, status, headers, body, …). */
export async function createWarcWriter(
  path: string,
  options: WarcOptions = {},
): Promise<RecordWriter> {
  const compress = options.gzip ?? path.toLowerCase().endsWith('.gz');
  const request: RequestHeaders = {
    userAgent: options.userAgent ?? 'trawl',
    accept: ACCEPT,
    acceptEncoding: ACCEPT_ENCODING,
  };
  const out = await OutputFile.open(path);
  const put = async (record: Buffer): Promise<void> => {
    await out.write(compress ? await gzip(record) : record);
  };
  const infoId = recordId();
  let records = 0;
  try {
    await put(warcinfo(infoId, path, options));
  } catch (err) {
    await out.abort();
    throw err;
  }

  return {
    async write(page) {
      const body = bodyOf(page.body);
      const status = typeof page.status === 'number' ? page.status : null;
      const uri = String(page.finalUrl ?? page.url ?? '');
      const date = warcDate(page.fetchedAt);
      if (body === null || status === null) {
        await put(metadata(infoId, String(page.url ?? uri), date, page, body === null));
      } else {
        const requestId = recordId();
        const responseId = recordId();
        const common: WarcFields = [
          ['WARC-Date', date],
          ['WARC-Target-URI', uri],
          ['WARC-Warcinfo-ID', infoId],
        ];
        const req = httpRequest(new URL(uri), request);
        await put(
          warcRecord(
            [
              ['WARC-Type', 'request'],
              ['WARC-Record-ID', requestId],
              ...common,
              ['WARC-Concurrent-To', responseId],
              ['Content-Type', 'application/http;msgtype=request'],
              ['WARC-Block-Digest', sha1Digest(req)],
            ],
            req,
          ),
        );
        const headers = (page.headers ?? {}) as Record<string, unknown>;
        const head = httpResponseHead(status, headers, body.length);
        const fields: WarcFields = [
          ['WARC-Type', 'response'],
          ['WARC-Record-ID', responseId],
          ...common,
          ['WARC-Concurrent-To', requestId],
          ['Content-Type', 'application/http;msgtype=response'],
          ['WARC-Payload-Digest', sha1Digest(body)],
          ['WARC-Block-Digest', sha1Digest(head, body)],
        ];
        // The URL asked for, when a redirect led elsewhere (the hops are not stored).
        if (page.url !== undefined && page.url !== uri) {
          fields.push(['WARC-Trawl-Requested-URI', String(page.url)]);
        }
        await put(warcRecord(fields, Buffer.concat([head, body])));
      }
      records++;
    },
    async close() {
      try {
        return { records, bytes: await out.commit() };
      } catch (err) {
        await out.abort();
        throw err;
      }
    },
    abort: () => out.abort(),
  };
}

function bodyOf(body: unknown): Buffer | null {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.length);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return null;
}

function warcinfo(id: string, path: string, options: WarcOptions): Buffer {
  const lines: [string, string][] = [
    ['software', options.software ?? 'trawl'],
    ['format', 'WARC File Format 1.1'],
    ['conformsTo', WARC_1_1],
    ...Object.entries(options.info ?? {}),
  ];
  const block = Buffer.from(
    lines.map(([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}\r\n`).join(''),
  );
  const filename = path.split(/[\\/]/).pop() ?? path;
  return warcRecord(
    [
      ['WARC-Type', 'warcinfo'],
      ['WARC-Record-ID', id],
      ['WARC-Date', warcDate(Date.now())],
      ['WARC-Filename', filename],
      ['Content-Type', 'application/warc-fields'],
    ],
    block,
  );
}

/** The fields of a page that has no response record to carry them. */
const METADATA_FIELDS = ['status', 'error', 'errorMessage', 'finalUrl', 'attempts', 'fetchedAt'];

function metadata(
  infoId: string,
  uri: string,
  date: string,
  page: Record<string, unknown>,
  noBody: boolean,
): Buffer {
  let block = '';
  for (const name of METADATA_FIELDS) {
    const v = name === 'fetchedAt' ? date : page[name];
    if (v !== null && v !== undefined)
      block += `${name}: ${String(v).replace(/[\r\n]+/g, ' ')}\r\n`;
  }
  // A successful fetch without a body: the crawl did not store it.
  if (noBody && page.error == null && page.status != null) block += 'body: not stored\r\n';
  return warcRecord(
    [
      ['WARC-Type', 'metadata'],
      ['WARC-Record-ID', recordId()],
      ['WARC-Date', date],
      ['WARC-Target-URI', uri],
      ['WARC-Warcinfo-ID', infoId],
      ['Content-Type', 'application/warc-fields'],
    ],
    Buffer.from(block, 'utf8'),
  );
}
