/**
 * The CAPTCHA-solver port: one interface for the paid solving services (the 2Captcha
 * adapter in ./two-captcha-solver.ts, others later). A session that meets a block page
 * with a CAPTCHA (detectBlock's `captcha`) and has a solver key configured asks for a
 * token here; failures are thrown as CaptchaError with a stable code.
 */
import type { CaptchaChallenge } from '../block-markers.js';

export type { CaptchaChallenge } from '../block-markers.js';

export interface CaptchaSolveOptions {
  /** Aborts the solve (the crawl is stopping): pending waits end at once, code `captcha_aborted`. */
  signal?: AbortSignal;
}

export interface CaptchaSolver {
  /** Solves `challenge`; resolves with the token to submit, or throws a CaptchaError. */
  solve(challenge: CaptchaChallenge, options?: CaptchaSolveOptions): Promise<CaptchaSolution>;
}

export interface CaptchaSolution {
  /** The response token to submit (`g-recaptcha-response`, `h-captcha-response`, `cf-turnstile-response`). */
  token: string;
  /** The provider's task id, as a string (it may not fit a JS number). */
  taskId: string;
  /** The User-Agent the token was obtained with, when the provider reports one (hCaptcha, Turnstile). */
  userAgent: string | null;
  /** hCaptcha's `respKey` (some sites check it), when the provider reports one. */
  respKey: string | null;
  /** What the provider charged, as it reported it (a decimal string, USD), when it did. */
  cost: string | null;
  /** Wall time from the task's creation request to the solution, ms. */
  elapsedMs: number;
  /** How many result polls it took. */
  polls: number;
}

/**
 * The error catalogue of the solvers. `retryable`: whether the same challenge may succeed
 * on a later attempt (a new task, later); non-retryable codes need a configuration fix.
 */
export const CAPTCHA_ERROR_CATALOGUE = {
  captcha_bad_key: { retryable: false, summary: 'the solver API key is wrong or unknown' },
  captcha_no_balance: { retryable: false, summary: 'the solver account has no funds' },
  captcha_denied: {
    retryable: false,
    summary: 'the solver refuses requests from this IP (not allow-listed or banned)',
  },
  captcha_bad_request: {
    retryable: false,
    summary: 'the provider rejected the task parameters (site key, page URL, domain)',
  },
  captcha_unsupported: {
    retryable: false,
    summary: 'this CAPTCHA cannot be solved by this solver (kind, or no site key)',
  },
  captcha_no_slot: {
    retryable: true,
    summary: 'the provider had no free worker slot, even after a few retries',
  },
  captcha_unsolvable: { retryable: true, summary: "the provider's workers could not solve it" },
  captcha_task_lost: {
    retryable: true,
    summary: 'the provider no longer knows the task id (expired or wrong)',
  },
  captcha_timeout: { retryable: true, summary: 'no solution within the overall wait cap' },
  captcha_network: {
    retryable: true,
    summary: 'the provider could not be reached, or answered with a 5xx status',
  },
  captcha_bad_response: {
    retryable: true,
    summary: 'the provider answered with something that is not its JSON protocol',
  },
  captcha_provider: {
    retryable: false,
    summary: 'any other error the provider reported (its code is kept in the message)',
  },
  captcha_aborted: { retryable: true, summary: 'the solve was aborted by the caller' },
} as const satisfies Record<string, { retryable: boolean; summary: string }>;

export type CaptchaErrorCode = keyof typeof CAPTCHA_ERROR_CATALOGUE;

export interface CaptchaErrorDetails {
  /** The provider's own error code (e.g. `ERROR_ZERO_BALANCE`), when it sent one. */
  providerCode?: string;
  /** The task the error concerns, when one was created. */
  taskId?: string;
  cause?: unknown;
}

/** A failed solve, with a stable `code` to branch on. */
export class CaptchaError extends Error {
  override readonly name = 'CaptchaError';
  readonly code: CaptchaErrorCode;
  readonly retryable: boolean;
  readonly providerCode: string | null;
  readonly taskId: string | null;

  constructor(code: CaptchaErrorCode, message: string, details: CaptchaErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.retryable = CAPTCHA_ERROR_CATALOGUE[code].retryable;
    this.providerCode = details.providerCode ?? null;
    this.taskId = details.taskId ?? null;
  }
}

export function isCaptchaError(err: unknown): err is CaptchaError {
  return err instanceof CaptchaError;
}
