/**
 * A stored robots.txt answer and what it decides: the policy parsed from it (cached per
 * origin and version, since parsing costs far more than a lookup) and the verdict on one
 * URL. Shared by every frontier adapter, so both modes decide alike.
 */
import type { RobotsFetch, RobotsVerdict } from '../frontier.js';
import { createRobotsPolicy, type RobotsPolicy } from './robots-policy.js';

/** A robots.txt answer as a frontier keeps it: what was fetched, and when it lapses. */
export interface StoredRobots extends RobotsFetch {
  /** Epoch ms (frontier clock) when it was settled. Also its version. */
  fetchedAt: number;
  /** Epoch ms (frontier clock) from which it is fetched again. */
  expiresAt: number;
}

/** How long an answer is used: a fetched or "unavailable" file for maxAge, "unreachable" for the retry window. */
export function robotsTtlMs(
  fetched: RobotsFetch,
  settings: { robotsMaxAgeMs: number; robotsRetryMs: number },
): number {
  return fetched.kind === 'disallow-all' ? settings.robotsRetryMs : settings.robotsMaxAgeMs;
}

/** The robots.txt verdict on `url` under `policy`. */
export function robotsVerdict(policy: RobotsPolicy, url: string): RobotsVerdict {
  if (policy.isAllowed(url)) return 'allowed';
  return policy.kind === 'disallow-all' ? 'unreachable' : 'disallowed';
}

/**
 * Parsed policies by origin, least recently used forgotten first. An entry is reused
 * only for the same version (fetchedAt) of the origin's answer.
 */
export class RobotsRulesCache {
  private readonly policies = new Map<string, RobotsPolicy>();

  /** @param maxOrigins origins remembered. @default 10_000 */
  constructor(
    private readonly agentToken: string,
    private readonly maxOrigins = 10_000,
  ) {}

  policy(origin: string, stored: StoredRobots): RobotsPolicy {
    const hit = this.policies.get(origin);
    if (hit !== undefined && hit.fetchedAt === stored.fetchedAt) {
      this.policies.delete(origin);
      this.policies.set(origin, hit);
      return hit;
    }
    const policy = createRobotsPolicy({
      origin,
      kind: stored.kind,
      status: stored.status,
      error: stored.error as RobotsPolicy['error'],
      fetchedAt: stored.fetchedAt,
      expiresAt: stored.expiresAt,
      agentToken: this.agentToken,
      text: stored.text ?? undefined,
    });
    this.policies.delete(origin);
    this.policies.set(origin, policy);
    if (this.policies.size > this.maxOrigins) {
      const oldest = this.policies.keys().next().value;
      if (oldest !== undefined) this.policies.delete(oldest);
    }
    return policy;
  }
}
