/**
 * One page lease, start to finish: fetch its fetchUrl, then commit the page (with its
 * links), a retry, or the next redirect hop. Redirects are not followed inside the
 * fetch: each hop goes back through the frontier, onto the target host's politeness,
 * like any request. Request failures are committed, never thrown; what throws (the
 * frontier failing) ends the crawl.
 */
import { isTrawlError, TrawlError, type ErrorCode } from '../core/errors.js';
import type { DiscoveredLink, FetchResponse, PageRecord, ParsedPage } from '../core/types.js';
import { isRedirectStatus, redirectTarget } from '../core/url/redirect-chain.js';
import { hostOf } from '../core/url/url-parts.js';
import type { Lease } from '../frontier/frontier.js';
import { failureRecord, isHtml, notModifiedRecord, successRecord } from './page-record.js';
import { changeOf, conditionalHeaders, withChange } from './recrawl.js';
import { decideRetry, isRetryableStatus, parseRetryAfter } from './retry-policy.js';
import { commitOne, type TaskContext } from './task-context.js';

/** The request metrics' labels of a page the browser loaded. */
const BROWSER = { engine: 'browser' } as const;

export async function runPageTask(ctx: TaskContext, lease: Lease): Promise<void> {
  if (lease.robots !== 'allowed') {
    const why =
      lease.robots === 'unreachable' ? 'robots.txt unreachable' : 'disallowed by robots.txt';
    const record = failureRecord(
      lease,
      ctx.clock.now(),
      'robots_disallowed',
      why,
      hopDetails(lease),
    );
    return finish(ctx, lease, record, null, null, 0);
  }
  // An incremental recrawl: the baseline's record of this URL (undefined: none to ask, or
  // the lookup failed), whose validators make the request conditional.
  const prev = ctx.baseline === undefined ? undefined : await ctx.baseline.get(lease.url);
  const conditional = conditionalHeaders(prev, lease.fetchUrl);
  const startedAt = ctx.clock.now();
  let res: FetchResponse;
  try {
    res = await ctx.fetcher.fetch(lease.fetchUrl, {
      signal: ctx.signal,
      redirect: 'manual',
      sortQuery: ctx.options.sortQuery,
      ...(conditional === undefined ? {} : { headers: conditional }),
    });
  } catch (err) {
    if (!ctx.signal.aborted) {
      const code = isTrawlError(err) ? err.code : 'network';
      const status = isTrawlError(err) ? (err.status ?? null) : null;
      const seconds = (ctx.clock.now() - startedAt) / 1000;
      if (ctx.options.engine === 'browser') {
        ctx.metrics?.requestRecorder(BROWSER).record(status, code, seconds);
      } else {
        ctx.metrics?.recordRequest(status, code, seconds);
      }
    }
    return fetchFailed(ctx, lease, err, startedAt);
  }
  ctx.counters.bytes += res.wireBytes;
  if (res.engine === 'browser') {
    ctx.metrics?.requestRecorder(BROWSER).record(res.status, null, res.durationMs / 1000);
  } else {
    ctx.metrics?.recordRequest(res.status, null, res.durationMs / 1000);
  }
  ctx.metrics?.fetchBytesTotal.inc(res.body.length);
  const contactedAt = ctx.clock.now();
  const location = isRedirectStatus(res.status) ? res.headers['location'] : undefined;
  if (location !== undefined) return redirected(ctx, lease, res, location, contactedAt);
  const notModified = conditional !== undefined && res.status === 304 ? prev! : null;
  return handleResponse(ctx, lease, res, contactedAt, prev, notModified);
}

/** The status and URL a record about a redirect hop reports. */
function hopDetails(lease: Lease): { status?: number; finalUrl?: string } {
  if (lease.redirects.length === 0) return {};
  return { status: lease.redirectStatus ?? undefined, finalUrl: lease.fetchUrl };
}

async function fetchFailed(
  ctx: TaskContext,
  lease: Lease,
  err: unknown,
  startedAt: number,
): Promise<void> {
  if (ctx.signal.aborted) {
    await commitOne(ctx, { kind: 'release', token: lease.token });
    return;
  }
  const now = ctx.clock.now();
  const e = isTrawlError(err)
    ? err
    : new TrawlError('network', `unexpected fetch failure: ${(err as Error).message}`, {
        cause: err,
      });
  // A timed-out URL waits at least as long as it held the host before it may hold it
  // again, so the host's other URLs go ahead meanwhile.
  const heldMs = e.code === 'timeout' ? now - startedAt : 0;
  if (e.retryable && (await retryLater(ctx, lease, 0, e.status ?? null, null, heldMs))) return;
  const record = failureRecord(lease, startedAt, e.code, e.message, {
    status: e.status ?? hopDetails(lease).status,
    finalUrl: e.finalUrl ?? hopDetails(lease).finalUrl,
    artifacts: e.artifacts,
  });
  await finish(ctx, lease, record, null, now, 0);
}

async function redirected(
  ctx: TaskContext,
  lease: Lease,
  res: FetchResponse,
  location: string,
  contactedAt: number,
): Promise<void> {
  const status = res.status;
  let target;
  try {
    target = redirectTarget(
      location,
      status,
      { url: lease.url, current: lease.fetchUrl, redirects: lease.redirects },
      ctx.options.maxRedirects,
      { sortQuery: ctx.options.sortQuery },
    );
  } catch (err) {
    const e = err as TrawlError;
    const record = failureRecord(lease, res.startedAt, e.code, e.message, {
      status,
      finalUrl: e.finalUrl,
    });
    return finish(ctx, lease, record, null, contactedAt, res.wireBytes);
  }
  if (!ctx.linkFilter(target)) {
    const code: ErrorCode = 'redirect_out_of_scope';
    const record = failureRecord(lease, res.startedAt, code, stopped(target.href, code), {
      status,
      finalUrl: target.href,
    });
    return finish(ctx, lease, record, null, contactedAt, res.wireBytes);
  }
  // Stored under its own name if the job already knows the target: not a failure.
  const knownRecord = failureRecord(
    lease,
    res.startedAt,
    'redirect_known',
    stopped(target.href, 'redirect_known'),
    { status, finalUrl: target.href },
  );
  const result = await commitOne(ctx, {
    kind: 'redirect',
    token: lease.token,
    target: { url: target.href, host: target.host },
    status,
    knownRecord,
    contactAgoMs: ctx.clock.now() - contactedAt,
  });
  if (result.accepted && result.redirect === 'known') ctx.counters.succeeded++;
}

function stopped(target: string, code: ErrorCode): string {
  return `redirect to ${target} stopped: ${code}`;
}

/**
 * @param prev the baseline's record of the URL (an incremental recrawl; null: it has
 *   none), which labels the record; undefined: no baseline to compare with.
 * @param notModified the baseline's record when this is a 304 to a conditional request.
 */
async function handleResponse(
  ctx: TaskContext,
  lease: Lease,
  res: FetchResponse,
  contactedAt: number,
  prev: PageRecord | null | undefined,
  notModified: PageRecord | null,
): Promise<void> {
  const status = res.status;
  const label = (record: PageRecord): PageRecord =>
    prev === undefined ? record : withChange(record, changeOf(record, prev));
  if (isRetryableStatus(status)) {
    const retryAfter = parseRetryAfter(res.headers['retry-after'], ctx.clock.now());
    const ago = ctx.clock.now() - contactedAt;
    if (await retryLater(ctx, lease, ago, status, retryAfter, 0)) return;
  }
  const { storeBody, maxDepth } = ctx.options;
  if (notModified !== null) {
    // Its links are the baseline's, which the recrawl was seeded with.
    const record = label(notModifiedRecord(lease, res, notModified, storeBody));
    return finish(ctx, lease, record, null, contactedAt, res.wireBytes);
  }
  if (status < 200 || status >= 300) {
    const error = { code: 'http_status' as ErrorCode, message: `HTTP ${status}` };
    const record = label(successRecord(lease, res, null, error, false));
    return finish(ctx, lease, record, null, contactedAt, res.wireBytes, false);
  }
  if (!isHtml(res)) {
    const record = label(successRecord(lease, res, null, null, storeBody));
    return finish(ctx, lease, record, null, contactedAt, res.wireBytes);
  }
  let parsed: ParsedPage;
  try {
    parsed = await ctx.parser.parse({
      url: res.finalUrl,
      body: res.body,
      contentType: res.headers['content-type'] ?? null,
      // The parser may drop links it returned before: ask only for links we will add.
      extractLinks: maxDepth === null || lease.depth < maxDepth,
    });
  } catch (err) {
    const message = `could not parse: ${(err as Error).message}`;
    const record = successRecord(lease, res, null, { code: 'parse_failed', message }, false);
    return finish(ctx, lease, record, null, contactedAt, res.wireBytes, false);
  }
  const record = label(successRecord(lease, res, parsed, null, storeBody));
  return finish(ctx, lease, record, parsed.links, contactedAt, res.wireBytes);
}

/**
 * Commits the page: its record, its links and the end of its lease, atomically.
 * `ok` false: failed for good (fetched with a 4xx/5xx status, or never fetched).
 */
async function finish(
  ctx: TaskContext,
  lease: Lease,
  record: PageRecord,
  links: string[] | null,
  contactedAt: number | null,
  wireBytes: number,
  ok = record.error === null,
): Promise<void> {
  if (ctx.pipeline !== undefined) record = await ctx.pipeline.process(record);
  const depth = lease.depth + 1;
  const discovered: DiscoveredLink[] = [];
  if (links !== null) {
    for (const url of links) discovered.push({ url, host: hostOf(url), depth, priority: -depth });
  }
  const result = await commitOne(ctx, {
    kind: 'page',
    token: lease.token,
    record,
    ok,
    links: discovered,
    contactAgoMs: contactedAt === null ? null : ctx.clock.now() - contactedAt,
    wireBytes,
  });
  if (!result.accepted) {
    // These links were not kept: the parser must not drop them from the next page.
    if (links !== null && links.length > 0) ctx.parser.forgetLinks(links);
    return;
  }
  if (ok) ctx.counters.succeeded++;
  else ctx.counters.failed++;
  if (record.error !== null && record.error !== 'redirect_known') {
    ctx.metrics?.errorsTotal.inc({
      error_type: record.error,
      platform: 'generic',
      component: 'crawler',
    });
  }
}

/** Schedules another attempt if the policy allows; false when retries are exhausted. */
async function retryLater(
  ctx: TaskContext,
  lease: Lease,
  contactAgoMs: number,
  status: number | null,
  retryAfterMs: number | null,
  minDelayMs: number,
): Promise<boolean> {
  const decision = decideRetry(ctx.options, lease.attempts + 1, status, retryAfterMs);
  if (!decision.retry) return false;
  const retryInMs = Math.max(decision.delayMs, minDelayMs);
  const result = await commitOne(ctx, {
    kind: 'retry',
    token: lease.token,
    retryInMs,
    hostPauseMs: decision.pauseHost ? decision.delayMs : undefined,
    contactAgoMs,
  });
  if (result.accepted) ctx.counters.retries++;
  ctx.log.debug({ url: lease.fetchUrl, status, delayMs: retryInMs }, 'retry scheduled');
  return true;
}
