/**
 * A robots lease: fetch the origin's robots.txt (its redirects spaced by the host's
 * delay, since each hop is a request to the host too) and commit what came back. The
 * frontier decides from it; the host's pages wait for this commit.
 */
import { originOf } from '../core/url/url-parts.js';
import type { Lease } from '../frontier/frontier.js';
import { fetchRobots } from '../frontier/robots/fetch-robots.js';
import { commitOne, ContactSpacer, type TaskContext } from './task-context.js';

export async function runRobotsTask(ctx: TaskContext, lease: Lease): Promise<void> {
  const origin = originOf(lease.url);
  const spacer = new ContactSpacer(ctx, lease.hostDelayMs);
  const fetched = await fetchRobots(
    (url, options) => ctx.fetcher.fetch(url, { ...options, resource: 'file' }),
    origin,
    {
      signal: ctx.signal,
      beforeHop: async () => {
        spacer.ended();
        await spacer.beforeNext();
      },
    },
  );
  spacer.ended();
  if (ctx.signal.aborted) {
    await commitOne(ctx, { kind: 'release', token: lease.token });
    return;
  }
  await commitOne(ctx, {
    kind: 'robots',
    token: lease.token,
    fetched,
    contactAgoMs: spacer.contactAgoMs(),
  });
}
