/**
 * Counts what nginx answered during a run, from the access log nginx-site.ts configures
 * (`$msec $status $body_bytes_sent $remote_addr "$uri" "$sent_http_content_type"`). The
 * server's own record, independent of what each crawler says it delivered.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface AccessLogCounts {
  /** Every request logged, robots.txt and errors included. */
  requests: number;
  /** Body bytes sent. */
  bytes: number;
  /** Distinct URIs answered 200 with an HTML content type: pages served. */
  htmlPages: number;
  /** Requests for an HTML URI already answered 200 (a crawler's dedup misses). */
  repeatHtmlHits: number;
  /** 200 answers that were not HTML (images, archives, ...). */
  otherOk: number;
  robots: number;
  notFound: number;
  /** Responses with any other status (3xx, 5xx, ...). */
  otherStatus: number;
  /** Lines that did not parse. */
  unparsable: number;
  /** Seconds between the first and the last request logged (0 for fewer than two). */
  spanSeconds: number;
}

const LINE = /^(\d+\.\d+) (\d{3}) (\d+) (\S+) "(.*)" "(.*)"$/;

/** Reads the whole log; null when it does not exist. `pageUris` receives each HTML page. */
export async function readAccessLog(
  file: string,
  pageUris?: Set<string>,
): Promise<AccessLogCounts | null> {
  if (!existsSync(file)) return null;
  const counts: AccessLogCounts = {
    requests: 0,
    bytes: 0,
    htmlPages: 0,
    repeatHtmlHits: 0,
    otherOk: 0,
    robots: 0,
    notFound: 0,
    otherStatus: 0,
    unparsable: 0,
    spanSeconds: 0,
  };
  const seen = pageUris ?? new Set<string>();
  let first = Infinity;
  let last = -Infinity;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) {
      counts.unparsable++;
      continue;
    }
    const [, msec, status, bytes, , uri, type] = m as unknown as string[];
    counts.requests++;
    counts.bytes += Number(bytes);
    const t = Number(msec);
    if (t < first) first = t;
    if (t > last) last = t;
    if (uri === '/robots.txt') {
      counts.robots++;
    } else if (status === '200') {
      if (/html/.test(type ?? '')) {
        if (seen.has(uri as string)) counts.repeatHtmlHits++;
        else {
          seen.add(uri as string);
          counts.htmlPages++;
        }
      } else counts.otherOk++;
    } else if (status === '404') counts.notFound++;
    else counts.otherStatus++;
  }
  if (last > first) counts.spanSeconds = last - first;
  return counts;
}
