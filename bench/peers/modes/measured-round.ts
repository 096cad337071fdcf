/**
 * One measured crawl of a round, as every mode runs it: the system at the concurrency
 * its slot records, in the harness's scratch space, under its deadline and abort signal;
 * the result joins the slot's rounds.
 */
import type { HarnessContext } from '../harness-context.js';
import type { PeerSystem } from '../peer-systems.js';
import type { SystemResult } from '../report/peers-report.js';
import { runSystemOnce } from '../run-system.js';
import type { PeerRound, RunOptions } from '../run-system.js';
import type { SiteUnderTest } from '../site-under-test.js';

export async function measureRound(
  ctx: HarnessContext,
  system: PeerSystem,
  site: SiteUnderTest,
  slot: SystemResult,
  round: number,
  extra: Pick<RunOptions, 'delayMs' | 'maxPages'> = {},
): Promise<PeerRound> {
  const r = await runSystemOnce(system, site, {
    round,
    concurrency: slot.tuning?.concurrency ?? null,
    ...extra,
    tmpRoot: ctx.tmpRoot,
    timeoutMs: ctx.timeoutMs,
    keep: ctx.keep,
    signal: ctx.signal,
  });
  slot.rounds.push(r);
  return r;
}
