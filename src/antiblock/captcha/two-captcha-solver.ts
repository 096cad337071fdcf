/**
 * The 2Captcha adapter of the CaptchaSolver port, on 2Captcha's JSON API (api.2captcha.com:
 * `POST /createTask`, then `POST /getTaskResult` until the task is ready).
 *
 * - Proxyless token tasks: RecaptchaV2TaskProxyless, RecaptchaV3TaskProxyless,
 *   HCaptchaTaskProxyless, TurnstileTaskProxyless (the site is loaded from 2Captcha's IPs).
 * - The task id is kept as a string, digit for digit: 2Captcha sends it as a JSON number
 *   that may exceed 2^53, so the raw digits are taken from the response text before
 *   JSON.parse would round them, and written back raw into getTaskResult.
 * - Polling: a first poll after `initialDelayMs`, then one every `pollIntervalMs` (both at
 *   least 5 s, as 2Captcha asks), counted from the previous answer; the whole solve is
 *   capped at `maxWaitMs` and fails with `captcha_timeout` as soon as the next poll would
 *   fall past the cap.
 * - ERROR_NO_SLOT_AVAILABLE on createTask is retried `noSlotRetries` times with doubling
 *   backoff; every other provider error, network failure and non-JSON answer is mapped to
 *   a CaptchaErrorCode (the provider's code and description are kept in the message).
 * - `signal` aborts at once: the pending request or wait ends, no timer is left running.
 */
import type { CaptchaChallenge } from '../block-markers.js';
import {
  CaptchaError,
  type CaptchaErrorCode,
  type CaptchaSolution,
  type CaptchaSolveOptions,
  type CaptchaSolver,
} from './captcha-solver.js';

/** 2Captcha asks clients not to poll more often than every 5 seconds. */
export const MIN_POLL_INTERVAL_MS = 5000;

export interface TwoCaptchaOptions {
  /** The account's API key (`clientKey`). */
  apiKey: string;
  /** @default 'https://api.2captcha.com' (tests point it at a local fake). */
  baseUrl?: string;
  /** Wait between two polls, ms; at least 5,000 (lower values are refused). @default 5000 */
  pollIntervalMs?: number;
  /** Wait from the task's creation to the first poll, ms; at least 5,000. @default pollIntervalMs */
  initialDelayMs?: number;
  /** Overall cap of one solve, ms, creation included. @default 180000 */
  maxWaitMs?: number;
  /** Deadline of each HTTP request to the provider, ms. @default 30000 */
  requestTimeoutMs?: number;
  /** Retries of createTask on ERROR_NO_SLOT_AVAILABLE. @default 3 */
  noSlotRetries?: number;
  /** First backoff before such a retry, ms; doubled each time. @default 5000 */
  noSlotBackoffMs?: number;
  /** reCAPTCHA v3: the score asked for (0.3, 0.7 or 0.9). @default 0.3 */
  recaptchaV3MinScore?: number;
  /** 2Captcha's software id (`softId`), if registered. */
  softId?: number;
}

/** The parsed provider answer; `taskId` is always a string here (see parseAnswer). */
interface Answer {
  errorId?: unknown;
  errorCode?: unknown;
  errorDescription?: unknown;
  taskId?: unknown;
  status?: unknown;
  solution?: unknown;
  cost?: unknown;
}

type Method = 'createTask' | 'getTaskResult';

/** Provider error codes → our codes. Anything not listed is `captcha_provider`. */
const PROVIDER_CODES: Record<string, CaptchaErrorCode> = {
  ERROR_KEY_DOES_NOT_EXIST: 'captcha_bad_key',
  ERROR_WRONG_USER_KEY: 'captcha_bad_key',
  ERROR_ZERO_BALANCE: 'captcha_no_balance',
  ERROR_IP_NOT_ALLOWED: 'captcha_denied',
  ERROR_IP_BLOCKED: 'captcha_denied',
  ERROR_IP_BANNED: 'captcha_denied',
  IP_BANNED: 'captcha_denied',
  ERROR_NO_SLOT_AVAILABLE: 'captcha_no_slot',
  ERROR_CAPTCHA_UNSOLVABLE: 'captcha_unsolvable',
  ERROR_BAD_DUPLICATES: 'captcha_unsolvable',
  ERROR_TASK_NOT_SUPPORTED: 'captcha_unsupported',
  ERROR_NO_SUCH_METHOD: 'captcha_unsupported',
  ERROR_TASK_ABSENT: 'captcha_bad_request',
  ERROR_BAD_PARAMETERS: 'captcha_bad_request',
  ERROR_RECAPTCHA_INVALID_SITEKEY: 'captcha_bad_request',
  ERROR_RECAPTCHA_INVALID_DOMAIN: 'captcha_bad_request',
  ERROR_PAGEURL: 'captcha_bad_request',
  ERROR_GOOGLEKEY: 'captcha_bad_request',
  ERROR_SITEKEY: 'captcha_bad_request',
  ERROR_BAD_TOKEN_OR_PAGEURL: 'captcha_bad_request',
  ERROR_NO_SUCH_CAPCHA_ID: 'captcha_task_lost',
  ERROR_WRONG_CAPTCHA_ID: 'captcha_task_lost',
};

/** Maps a 2Captcha error code (e.g. `ERROR_ZERO_BALANCE`) to a CaptchaErrorCode. */
export function mapTwoCaptchaError(providerCode: string): CaptchaErrorCode {
  return PROVIDER_CODES[providerCode] ?? 'captcha_provider';
}

/** `"taskId": 123` → `"taskId": "123"`, so JSON.parse keeps every digit. */
const NUMERIC_TASK_ID_RE = /("taskId"\s*:\s*)(\d+)(?=\s*[,}])/g;
const DIGITS_RE = /^\d+$/;

export class TwoCaptchaSolver implements CaptchaSolver {
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly pollIntervalMs: number;
  private readonly initialDelayMs: number;
  private readonly maxWaitMs: number;
  private readonly requestTimeoutMs: number;
  private readonly noSlotRetries: number;
  private readonly noSlotBackoffMs: number;
  private readonly minScore: number;
  private readonly softId: number | undefined;

  constructor(options: TwoCaptchaOptions) {
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
      throw new RangeError('TwoCaptchaSolver: apiKey is required');
    }
    this.apiKey = options.apiKey;
    const base = options.baseUrl ?? 'https://api.2captcha.com';
    if (!/^https?:\/\//i.test(base)) {
      throw new RangeError(`TwoCaptchaSolver: baseUrl must be an http(s) URL, got ${base}`);
    }
    this.baseUrl = base.replace(/\/+$/, '');
    this.pollIntervalMs = options.pollIntervalMs ?? MIN_POLL_INTERVAL_MS;
    this.initialDelayMs = options.initialDelayMs ?? this.pollIntervalMs;
    for (const [name, value] of [
      ['pollIntervalMs', this.pollIntervalMs],
      ['initialDelayMs', this.initialDelayMs],
    ] as const) {
      if (!Number.isFinite(value) || value < MIN_POLL_INTERVAL_MS) {
        throw new RangeError(
          `TwoCaptchaSolver: ${name} must be at least ${MIN_POLL_INTERVAL_MS} ms (2Captcha's polling rule), got ${value}`,
        );
      }
    }
    this.maxWaitMs = options.maxWaitMs ?? 180_000;
    if (!Number.isFinite(this.maxWaitMs) || this.maxWaitMs < this.initialDelayMs) {
      throw new RangeError(
        `TwoCaptchaSolver: maxWaitMs (${this.maxWaitMs}) must leave room for the first poll (initialDelayMs ${this.initialDelayMs})`,
      );
    }
    this.requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs ?? 30_000);
    this.noSlotRetries = options.noSlotRetries ?? 3;
    if (!Number.isInteger(this.noSlotRetries) || this.noSlotRetries < 0) {
      throw new RangeError('TwoCaptchaSolver: noSlotRetries must be a non-negative integer');
    }
    this.noSlotBackoffMs = options.noSlotBackoffMs ?? 5000;
    if (!Number.isFinite(this.noSlotBackoffMs) || this.noSlotBackoffMs < 0) {
      throw new RangeError('TwoCaptchaSolver: noSlotBackoffMs must be >= 0');
    }
    this.minScore = options.recaptchaV3MinScore ?? 0.3;
    this.softId = options.softId;
  }

  async solve(
    challenge: CaptchaChallenge,
    options: CaptchaSolveOptions = {},
  ): Promise<CaptchaSolution> {
    const { signal } = options;
    throwIfAborted(signal);
    const task = this.taskOf(challenge);
    const started = Date.now();
    const deadline = started + this.maxWaitMs;

    const taskId = await this.createTask(task, signal, deadline);
    const pollBody = `{"clientKey":${JSON.stringify(this.apiKey)},"taskId":${
      DIGITS_RE.test(taskId) ? taskId : JSON.stringify(taskId)
    }}`;

    let polls = 0;
    let wait = this.initialDelayMs;
    for (;;) {
      if (Date.now() + wait > deadline) {
        throw new CaptchaError(
          'captcha_timeout',
          `2Captcha: task ${taskId} not solved within ${this.maxWaitMs} ms (${polls} polls)`,
          { taskId },
        );
      }
      await sleep(wait, signal);
      const answer = await this.call('getTaskResult', pollBody, signal, deadline, taskId);
      polls++;
      if (answer.status === 'ready') return this.solutionOf(answer, taskId, started, polls);
      if (answer.status !== 'processing') {
        throw new CaptchaError(
          'captcha_bad_response',
          `2Captcha getTaskResult: unexpected status ${JSON.stringify(answer.status)} for task ${taskId}`,
          { taskId },
        );
      }
      wait = this.pollIntervalMs;
    }
  }

  /** The createTask `task` object of a challenge. */
  private taskOf(challenge: CaptchaChallenge): Record<string, unknown> {
    if (challenge.siteKey === null || challenge.siteKey === '') {
      throw new CaptchaError(
        'captcha_unsupported',
        `2Captcha: the ${challenge.kind} challenge has no site key`,
      );
    }
    const base = { websiteURL: challenge.pageUrl, websiteKey: challenge.siteKey };
    switch (challenge.kind) {
      case 'recaptcha_v2':
        return {
          type: 'RecaptchaV2TaskProxyless',
          ...base,
          ...(challenge.invisible === true ? { isInvisible: true } : {}),
        };
      case 'recaptcha_v3':
        return {
          type: 'RecaptchaV3TaskProxyless',
          ...base,
          minScore: this.minScore,
          ...(challenge.action !== undefined ? { pageAction: challenge.action } : {}),
        };
      case 'hcaptcha':
        return {
          type: 'HCaptchaTaskProxyless',
          ...base,
          ...(challenge.invisible === true ? { isInvisible: true } : {}),
        };
      case 'turnstile':
        return {
          type: 'TurnstileTaskProxyless',
          ...base,
          ...(challenge.action !== undefined ? { action: challenge.action } : {}),
        };
      default: {
        const kind: never = challenge.kind;
        throw new CaptchaError(
          'captcha_unsupported',
          `2Captcha: unsupported CAPTCHA kind ${String(kind)}`,
        );
      }
    }
  }

  /** createTask, retrying ERROR_NO_SLOT_AVAILABLE with doubling backoff. */
  private async createTask(
    task: Record<string, unknown>,
    signal: AbortSignal | undefined,
    deadline: number,
  ): Promise<string> {
    const body = JSON.stringify({
      clientKey: this.apiKey,
      task,
      ...(this.softId !== undefined ? { softId: this.softId } : {}),
    });
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.call('createTask', body, signal, deadline, undefined);
        const { taskId } = answer;
        if (typeof taskId === 'string' && taskId !== '') return taskId;
        throw new CaptchaError(
          'captcha_bad_response',
          `2Captcha createTask: no taskId in the answer (${describe(answer)})`,
        );
      } catch (err) {
        const backoff = this.noSlotBackoffMs * 2 ** attempt;
        if (
          !(err instanceof CaptchaError) ||
          err.code !== 'captcha_no_slot' ||
          attempt >= this.noSlotRetries ||
          Date.now() + backoff > deadline
        ) {
          if (err instanceof CaptchaError && err.code === 'captcha_no_slot' && attempt > 0) {
            throw new CaptchaError(
              'captcha_no_slot',
              `${err.message}, after ${attempt + 1} attempts`,
              {
                providerCode: err.providerCode ?? 'ERROR_NO_SLOT_AVAILABLE',
                cause: err,
              },
            );
          }
          throw err;
        }
        await sleep(backoff, signal);
      }
    }
  }

  /** One POST to the provider; resolves with an answer whose errorId is 0. */
  private async call(
    method: Method,
    body: string,
    signal: AbortSignal | undefined,
    deadline: number,
    taskId: string | undefined,
  ): Promise<Answer> {
    throwIfAborted(signal);
    const left = deadline - Date.now();
    const details = taskId === undefined ? {} : { taskId };
    if (left <= 0) {
      throw new CaptchaError(
        'captcha_timeout',
        `2Captcha ${method}: the wait cap was reached`,
        details,
      );
    }
    const capped = left < this.requestTimeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), capped ? left : this.requestTimeoutMs);
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.baseUrl}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: controller.signal,
      });
      status = response.status;
      text = await response.text();
    } catch (err) {
      if (signal?.aborted === true) throw abortError(signal);
      if (controller.signal.aborted) {
        throw capped
          ? new CaptchaError('captcha_timeout', `2Captcha ${method}: the wait cap was reached`, {
              ...details,
              cause: err,
            })
          : new CaptchaError(
              'captcha_network',
              `2Captcha ${method}: no answer within ${this.requestTimeoutMs} ms`,
              { ...details, cause: err },
            );
      }
      throw new CaptchaError('captcha_network', `2Captcha ${method}: ${networkMessage(err)}`, {
        ...details,
        cause: err,
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }

    const answer = parseAnswer(text);
    if (answer === null) {
      const code: CaptchaErrorCode = status >= 500 ? 'captcha_network' : 'captcha_bad_response';
      throw new CaptchaError(
        code,
        `2Captcha ${method}: HTTP ${status}, not a JSON answer: ${JSON.stringify(text.slice(0, 120))}`,
        details,
      );
    }
    const errorId = Number(answer.errorId ?? 0);
    const providerCode = typeof answer.errorCode === 'string' ? answer.errorCode : '';
    if (errorId !== 0 || (answer.errorId === undefined && providerCode !== '')) {
      const description =
        typeof answer.errorDescription === 'string' && answer.errorDescription !== ''
          ? ` (${answer.errorDescription})`
          : '';
      const shown = providerCode === '' ? `errorId ${String(answer.errorId)}` : providerCode;
      throw new CaptchaError(
        providerCode === '' ? 'captcha_provider' : mapTwoCaptchaError(providerCode),
        `2Captcha ${method}: ${shown}${description}${taskId === undefined ? '' : ` [task ${taskId}]`}`,
        { ...details, ...(providerCode === '' ? {} : { providerCode }) },
      );
    }
    if (status >= 400) {
      throw new CaptchaError(
        status >= 500 ? 'captcha_network' : 'captcha_bad_response',
        `2Captcha ${method}: HTTP ${status} (${describe(answer)})`,
        details,
      );
    }
    return answer;
  }

  private solutionOf(
    answer: Answer,
    taskId: string,
    started: number,
    polls: number,
  ): CaptchaSolution {
    const solution = isRecord(answer.solution) ? answer.solution : {};
    const token = str(solution.gRecaptchaResponse) ?? str(solution.token);
    if (token === null) {
      throw new CaptchaError(
        'captcha_bad_response',
        `2Captcha getTaskResult: task ${taskId} is ready but has no token (${describe(answer)})`,
        { taskId },
      );
    }
    return {
      token,
      taskId,
      userAgent: str(solution.userAgent),
      respKey: str(solution.respKey),
      cost: typeof answer.cost === 'number' ? String(answer.cost) : str(answer.cost),
      elapsedMs: Date.now() - started,
      polls,
    };
  }
}

/** Parses a provider answer, keeping a numeric taskId's digits as a string; null if not a JSON object. */
export function parseAnswer(text: string): Answer | null {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(NUMERIC_TASK_ID_RE, '$1"$2"'));
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  if (typeof value.taskId === 'number') value.taskId = String(value.taskId);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function describe(answer: Answer): string {
  const text = JSON.stringify(answer);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`TwoCaptchaSolver: ${name} must be a positive number, got ${value}`);
  }
  return value;
}

function networkMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

function abortError(signal: AbortSignal): CaptchaError {
  return new CaptchaError('captcha_aborted', '2Captcha: the solve was aborted', {
    cause: signal.reason,
  });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(signal);
}

/** Waits `ms`; an abort of `signal` rejects at once and clears the timer. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
