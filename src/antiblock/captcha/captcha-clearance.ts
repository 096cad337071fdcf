/**
 * Getting a session past a CAPTCHA block page: the widget's form is read from the page
 * (captcha-form.ts), the challenge solved through the CaptchaSolver port, and the form
 * submitted with the token as the session, the way the widget's page would. The site's
 * answer (its Set-Cookie) lands in the session; the caller then fetches the page again
 * and judges it.
 *
 * - Once per session: a request of a session whose CAPTCHA is being solved waits for
 *   that solve, and one blocked before its session was cleared just tries again.
 * - Nothing is spent on a page that cannot be submitted generically (no form around the
 *   widget): it fails as `blocked`, saying why.
 * - A solver failure fails the request as `blocked` with the solver's code in the
 *   message, retryable as the code is. An account error (bad key, no funds, refused IP)
 *   turns solving off for the rest of the job: every later CAPTCHA page fails at once,
 *   non-retryable, and `onDisabled` is told once.
 */
import { TrawlError } from '../../core/errors.js';
import type { FetchResponse } from '../../core/types.js';
import type { CaptchaChallenge } from '../block-markers.js';
import { captchaForm, formRequest } from './captcha-form.js';
import {
  isCaptchaError,
  type CaptchaError,
  type CaptchaErrorCode,
  type CaptchaSolution,
  type CaptchaSolver,
} from './captcha-solver.js';

export interface CaptchaClearanceOptions {
  solver: CaptchaSolver;
  /** Told of each solved CAPTCHA (for logs). */
  onSolved?: (url: string, challenge: CaptchaChallenge, solution: CaptchaSolution) => void;
  /** Told once, when an account error turns solving off. */
  onDisabled?: (err: CaptchaError) => void;
}

/** A form submission to make as the session (its headers, cookies and proxy; Set-Cookie kept). */
export type SessionSubmit = (
  url: string,
  request: { method: 'GET' | 'POST'; body: string | null; headers: Record<string, string> },
) => Promise<FetchResponse>;

/** Solver codes that no other challenge would escape: the account needs fixing. */
const ACCOUNT_CODES: ReadonlySet<CaptchaErrorCode> = new Set([
  'captcha_bad_key',
  'captcha_no_balance',
  'captcha_denied',
]);

export class CaptchaClearance {
  private disabled: CaptchaError | null = null;
  /** When each session's last form submission was answered, epoch ms. */
  private readonly clearedAt = new WeakMap<object, number>();
  private readonly clearing = new WeakMap<object, Promise<void>>();
  private solved = 0;

  constructor(private readonly options: CaptchaClearanceOptions) {}

  /** CAPTCHAs solved so far. */
  get solves(): number {
    return this.solved;
  }

  /**
   * Gets `session` past the CAPTCHA `challenge` of `page` (a block page it was answered
   * with). Resolves when the page may be fetched again; throws TrawlError `blocked` (or
   * `aborted` when `signal` stops a solve in flight).
   */
  async clear(
    session: object,
    page: FetchResponse,
    challenge: CaptchaChallenge,
    submit: SessionSubmit,
    signal?: AbortSignal,
  ): Promise<void> {
    for (;;) {
      // Cleared after this page was asked for: the request may not have had the cookies.
      if ((this.clearedAt.get(session) ?? -Infinity) >= page.startedAt) return;
      const pending = this.clearing.get(session);
      if (pending === undefined) break;
      await pending.catch(() => undefined);
    }
    const run = this.solveAndSubmit(session, page, challenge, submit, signal);
    this.clearing.set(session, run);
    try {
      await run;
    } finally {
      if (this.clearing.get(session) === run) this.clearing.delete(session);
    }
  }

  private async solveAndSubmit(
    session: object,
    page: FetchResponse,
    challenge: CaptchaChallenge,
    submit: SessionSubmit,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (this.disabled !== null) {
      const { code, message } = this.disabled;
      throw blocked(page, `CAPTCHA solving is off (${code}: ${message})`, false);
    }
    const lookup = captchaForm(page.body.toString('utf8'), page.finalUrl, challenge);
    if ('unsupported' in lookup) {
      throw blocked(page, `${challenge.kind} CAPTCHA not submittable: ${lookup.unsupported}`);
    }
    const { form } = lookup;
    const pageHost = new URL(page.finalUrl).hostname;
    if (new URL(form.action).hostname !== pageHost) {
      throw blocked(
        page,
        `${challenge.kind} CAPTCHA not submittable: its form goes to another host (${form.action})`,
      );
    }
    let solution: CaptchaSolution;
    try {
      solution = await this.options.solver.solve(challenge, signal ? { signal } : {});
    } catch (err) {
      if (!isCaptchaError(err)) throw err;
      if (err.code === 'captcha_aborted') {
        throw new TrawlError('aborted', `${page.url}: the CAPTCHA solve was stopped`, {
          cause: err,
        });
      }
      if (ACCOUNT_CODES.has(err.code) && this.disabled === null) {
        this.disabled = err;
        this.options.onDisabled?.(err);
      }
      throw blocked(page, `CAPTCHA not solved (${err.code}: ${err.message})`, err.retryable, err);
    }
    this.solved++;
    this.options.onSolved?.(page.url, challenge, solution);
    const request = formRequest(form, solution.token);
    const origin = new URL(page.finalUrl).origin;
    await submit(request.url, {
      method: request.method,
      body: request.body,
      headers: {
        ...(request.method === 'POST'
          ? { 'content-type': 'application/x-www-form-urlencoded', origin }
          : {}),
        referer: page.finalUrl,
      },
    });
    this.clearedAt.set(session, Date.now());
  }
}

function blocked(page: FetchResponse, why: string, retryable = true, cause?: unknown): TrawlError {
  return new TrawlError('blocked', `${page.url}: ${why}`, {
    status: page.status,
    finalUrl: page.finalUrl,
    retryable,
    ...(cause === undefined ? {} : { cause }),
  });
}
