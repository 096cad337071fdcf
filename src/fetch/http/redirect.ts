import { TrawlError } from '../../core/errors.js';
import type { RedirectDecision } from '../fetcher.js';

export { isRedirectStatus, redirectTarget } from '../../core/url/redirect-chain.js';
export type { RedirectChain } from '../../core/url/redirect-chain.js';

/** Throws the TrawlError an onRedirect decision other than 'follow' asks for. */
export function enforceDecision(decision: RedirectDecision, target: string, status: number): void {
  if (decision === 'follow') return;
  throw new TrawlError(decision, `redirect to ${target} stopped: ${decision}`, {
    status,
    finalUrl: target,
  });
}
