/**
 * An undici Agent behind the SSRF guard, for outbound requests other than page fetches
 * (webhooks, notifications) whose target a client chose. Usage:
 *
 *     const guard = createAddressGuard(spec);
 *     const dispatcher = createGuardedAgent(guard);
 *     guard.checkUrl(url); // IP-literal hosts are never looked up: this refuses them
 *     await request(url, { dispatcher });
 *
 * undici's `request` follows no redirect; a caller that adds the redirect interceptor
 * must checkUrl every hop itself, or an IP-literal Location would get through.
 */
import { Agent } from 'undici';
import { createAddressGuard } from './address-guard.js';
import type { AddressGuard, AddressGuardOptions, AddressGuardSpec } from './address-guard.js';

/** The Agent's own options (connect is the guard's) plus the guard's resolver. */
export type GuardedAgentOptions = Omit<Agent.Options, 'connect'> & AddressGuardOptions;

/**
 * An Agent whose every connection resolves through the guard's lookup, so a host that
 * resolves (or rebinds) to a refused address fails with blocked_address at connect time.
 * Pass the guard used for checkUrl to share its allow list; a spec builds a new guard
 * (throwing UsageError on a malformed allow entry). The caller closes the Agent.
 */
export function createGuardedAgent(
  guard: AddressGuard | AddressGuardSpec,
  options: GuardedAgentOptions = {},
): Agent {
  const { lookup, ...agentOptions } = options;
  const built = 'checkUrl' in guard ? guard : createAddressGuard(guard, { lookup });
  return new Agent({ ...agentOptions, connect: { lookup: built.lookup } });
}
