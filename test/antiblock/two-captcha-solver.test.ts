import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CaptchaChallenge } from '../../src/antiblock/block-markers.js';
import { CaptchaError, type CaptchaErrorCode } from '../../src/antiblock/captcha/captcha-solver.js';
import {
  mapTwoCaptchaError,
  parseAnswer,
  TwoCaptchaSolver,
  type TwoCaptchaOptions,
} from '../../src/antiblock/captcha/two-captcha-solver.js';
import {
  startFakeTwoCaptcha,
  type FakeReply as Reply,
  type FakeRequest,
  type FakeTwoCaptcha,
} from '../support/fake-two-captcha.js';
import { listen, shut } from '../support/loopback-server.js';

// The local fake of 2Captcha's JSON API (test/support/fake-two-captcha.ts); here the
// client key picks the scenario.

const BIG_TASK_ID = '73528391946218374651';
let fake: FakeTwoCaptcha;
const seenBy = (clientKey: string, method?: string): FakeRequest[] =>
  fake.seenBy(clientKey, method);

function scenario({ method, clientKey, raw }: FakeRequest): Reply {
  const polls = seenBy(clientKey, 'getTaskResult').length; // this request included
  const creates = seenBy(clientKey, 'createTask').length;
  const created = (taskId: number): Reply => ({ json: { errorId: 0, taskId } });
  const processing: Reply = { json: { errorId: 0, status: 'processing' } };
  switch (clientKey) {
    case 'key-two-polls':
      if (method === 'createTask') return created(1001);
      if (polls === 1) return processing;
      return {
        json: {
          errorId: 0,
          status: 'ready',
          solution: {
            gRecaptchaResponse: '03AGdBq2-two-polls-token',
            token: '03AGdBq2-two-polls-token',
          },
          cost: '0.00299',
          ip: '127.0.0.1',
          createTime: 1692863536,
          endTime: 1692863556,
          solveCount: 1,
        },
      };
    case 'key-big-id':
      // The id is sent as a bare JSON number, too big for a double.
      if (method === 'createTask') return { text: `{"errorId":0,"taskId":${BIG_TASK_ID}}` };
      if (!raw.includes(`"taskId":${BIG_TASK_ID}`)) {
        return {
          json: {
            errorId: 16,
            errorCode: 'ERROR_NO_SUCH_CAPCHA_ID',
            errorDescription: 'no such task',
          },
        };
      }
      return {
        json: {
          errorId: 0,
          status: 'ready',
          solution: { token: '0.turnstile-token', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
          cost: '0.00145',
        },
      };
    case 'key-bad':
      return {
        json: {
          errorId: 1,
          errorCode: 'ERROR_KEY_DOES_NOT_EXIST',
          errorDescription: 'Your API key is incorrect',
        },
      };
    case 'key-broke':
      return {
        json: {
          errorId: 10,
          errorCode: 'ERROR_ZERO_BALANCE',
          errorDescription: "You don't have funds on your account",
        },
      };
    case 'key-unsolvable':
      if (method === 'createTask') return created(3003);
      return {
        json: {
          errorId: 12,
          errorCode: 'ERROR_CAPTCHA_UNSOLVABLE',
          errorDescription: 'Workers could not solve the Captcha',
        },
      };
    case 'key-slow':
    case 'key-abort':
      return method === 'createTask' ? created(4004) : processing;
    case 'key-hang':
      return method === 'createTask' ? created(5005) : { hang: true };
    case 'key-no-slot':
      return {
        json: { errorId: 2, errorCode: 'ERROR_NO_SLOT_AVAILABLE', errorDescription: 'No slots' },
      };
    case 'key-no-slot-once':
      if (method === 'createTask' && creates === 1) {
        return { json: { errorId: 2, errorCode: 'ERROR_NO_SLOT_AVAILABLE' } };
      }
      if (method === 'createTask') return created(6006);
      return {
        json: { errorId: 0, status: 'ready', solution: { gRecaptchaResponse: 'tok-6006' } },
      };
    case 'key-502':
      return { status: 502, text: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    case 'key-text':
      return { text: 'OK|12345' };
    default:
      return { json: { errorId: 1, errorCode: 'ERROR_KEY_DOES_NOT_EXIST' } };
  }
}

before(async () => {
  fake = await startFakeTwoCaptcha({ scenario });
});

after(async () => {
  await fake.close();
});

const RECAPTCHA: CaptchaChallenge = {
  kind: 'recaptcha_v2',
  siteKey: '6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b',
  pageUrl: 'https://shop.example.com/search?q=widgets',
};
const TURNSTILE: CaptchaChallenge = {
  kind: 'turnstile',
  siteKey: '0x4AAAAAAABkMYinukE8nzYS',
  pageUrl: 'https://forum.example.com/login',
  action: 'login',
};

function solver(apiKey: string, options: Partial<TwoCaptchaOptions> = {}): TwoCaptchaSolver {
  return new TwoCaptchaSolver({ apiKey, baseUrl: fake.base, pollIntervalMs: 5000, ...options });
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: CaptchaErrorCode,
): Promise<CaptchaError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CaptchaError, `not a CaptchaError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`resolved; expected ${code}`);
}

/** Polls `check` until it holds, failing after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const timers = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

test('abort while waiting to poll: rejects at once and leaves no timer running', async () => {
  const baseline = timers();
  const controller = new AbortController();
  const solving = solver('key-abort').solve(RECAPTCHA, { signal: controller.signal });
  solving.catch(() => {}); // observed below
  await until(() => seenBy('key-abort', 'createTask').length === 1, 2000, 'createTask');
  // The solver is now in its 5 s wait: its timer is the one above the baseline.
  await until(() => timers() > baseline, 2000, 'the poll timer');
  const abortedAt = Date.now();
  controller.abort(new Error('crawl stopping'));
  const err = await rejectsWith(solving, 'captcha_aborted');
  assert.ok(Date.now() - abortedAt < 200, `took ${Date.now() - abortedAt} ms`);
  assert.equal(err.retryable, true);
  assert.equal(timers(), baseline);
  // The last test checks that no getTaskResult ever came for this task.
});

describe('2Captcha solves against the local fake', { concurrency: true }, () => {
  test('a solve that needs two polls, 5 s apart, with the right request fields', async () => {
    const solution = await solver('key-two-polls').solve(RECAPTCHA);
    assert.equal(solution.token, '03AGdBq2-two-polls-token');
    assert.equal(solution.taskId, '1001');
    assert.equal(solution.cost, '0.00299');
    assert.equal(solution.polls, 2);
    assert.equal(solution.userAgent, null);

    const [create, ...polls] = seenBy('key-two-polls');
    assert.equal(create?.method, 'createTask');
    assert.deepEqual(create?.body, {
      clientKey: 'key-two-polls',
      task: {
        type: 'RecaptchaV2TaskProxyless',
        websiteURL: 'https://shop.example.com/search?q=widgets',
        websiteKey: '6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b',
      },
    });
    assert.deepEqual(
      polls.map((p) => [p.method, p.body]),
      [
        ['getTaskResult', { clientKey: 'key-two-polls', taskId: 1001 }],
        ['getTaskResult', { clientKey: 'key-two-polls', taskId: 1001 }],
      ],
    );
    const [first, second] = polls;
    assert.ok(create && first && second);
    const tolerance = 20; // timer granularity between the client's and the server's clocks
    assert.ok(
      first.at - create.at >= 5000 - tolerance,
      `first poll after ${first.at - create.at} ms`,
    );
    assert.ok(second.at - first.at >= 5000 - tolerance, `polls ${second.at - first.at} ms apart`);
  });

  test('a task id beyond 2^53 is kept digit for digit, and sent back raw', async () => {
    const solution = await solver('key-big-id').solve(TURNSTILE);
    assert.equal(solution.taskId, BIG_TASK_ID);
    assert.notEqual(String(Number(BIG_TASK_ID)), BIG_TASK_ID); // a double would have rounded it
    assert.equal(solution.token, '0.turnstile-token');
    assert.equal(solution.userAgent, 'Mozilla/5.0 (X11; Linux x86_64)');
    const [create, poll] = seenBy('key-big-id');
    assert.deepEqual(create?.body.task, {
      type: 'TurnstileTaskProxyless',
      websiteURL: 'https://forum.example.com/login',
      websiteKey: '0x4AAAAAAABkMYinukE8nzYS',
      action: 'login',
    });
    assert.equal(poll?.raw, `{"clientKey":"key-big-id","taskId":${BIG_TASK_ID}}`);
  });

  test('ERROR_CAPTCHA_UNSOLVABLE while polling → captcha_unsolvable', async () => {
    const err = await rejectsWith(solver('key-unsolvable').solve(RECAPTCHA), 'captcha_unsolvable');
    assert.equal(err.providerCode, 'ERROR_CAPTCHA_UNSOLVABLE');
    assert.equal(err.taskId, '3003');
    assert.equal(err.retryable, true);
    assert.match(err.message, /ERROR_CAPTCHA_UNSOLVABLE \(Workers could not solve the Captcha\)/);
  });

  test('the wait cap reached → captcha_timeout, without polling past it', async () => {
    const started = Date.now();
    const err = await rejectsWith(
      solver('key-slow', { maxWaitMs: 6000 }).solve(RECAPTCHA),
      'captcha_timeout',
    );
    assert.ok(Date.now() - started <= 6000 + 200, `gave up after ${Date.now() - started} ms`);
    assert.equal(err.taskId, '4004');
    assert.equal(seenBy('key-slow', 'getTaskResult').length, 1);
  });

  test('abort while a poll is in flight', async () => {
    const controller = new AbortController();
    const solving = solver('key-hang').solve(RECAPTCHA, { signal: controller.signal });
    solving.catch(() => {}); // observed below
    await until(() => fake.hanging.size === 1, 8000, 'the hanging poll');
    const abortedAt = Date.now();
    controller.abort();
    await rejectsWith(solving, 'captcha_aborted');
    assert.ok(Date.now() - abortedAt < 200, `took ${Date.now() - abortedAt} ms`);
  });

  test('ERROR_NO_SLOT_AVAILABLE on createTask is retried, then the solve goes on', async () => {
    const solution = await solver('key-no-slot-once', { noSlotBackoffMs: 100 }).solve(RECAPTCHA);
    assert.equal(solution.token, 'tok-6006');
    const creates = seenBy('key-no-slot-once', 'createTask');
    assert.equal(creates.length, 2);
    const [a, b] = creates;
    assert.ok(a && b && b.at - a.at >= 100 - 20);
  });
});

describe('2Captcha errors', () => {
  test('ERROR_KEY_DOES_NOT_EXIST → captcha_bad_key', async () => {
    const err = await rejectsWith(solver('key-bad').solve(RECAPTCHA), 'captcha_bad_key');
    assert.equal(err.providerCode, 'ERROR_KEY_DOES_NOT_EXIST');
    assert.equal(err.retryable, false);
    assert.match(err.message, /ERROR_KEY_DOES_NOT_EXIST \(Your API key is incorrect\)/);
    assert.equal(seenBy('key-bad', 'getTaskResult').length, 0);
  });

  test('ERROR_ZERO_BALANCE → captcha_no_balance', async () => {
    const err = await rejectsWith(solver('key-broke').solve(RECAPTCHA), 'captcha_no_balance');
    assert.equal(err.providerCode, 'ERROR_ZERO_BALANCE');
    assert.equal(err.retryable, false);
    assert.match(err.message, /You don't have funds on your account/);
  });

  test('ERROR_NO_SLOT_AVAILABLE every time → captcha_no_slot after the retries', async () => {
    const err = await rejectsWith(
      solver('key-no-slot', { noSlotRetries: 2, noSlotBackoffMs: 50 }).solve(RECAPTCHA),
      'captcha_no_slot',
    );
    assert.equal(seenBy('key-no-slot', 'createTask').length, 3);
    assert.match(err.message, /ERROR_NO_SLOT_AVAILABLE \(No slots\), after 3 attempts/);
    const [a, b, c] = seenBy('key-no-slot', 'createTask');
    assert.ok(a && b && c);
    assert.ok(b.at - a.at >= 50 - 20 && c.at - b.at >= 100 - 20, 'backoff doubles');
  });

  test('a 502 HTML page → captcha_network; a non-JSON 200 → captcha_bad_response', async () => {
    const bad = await rejectsWith(solver('key-502').solve(RECAPTCHA), 'captcha_network');
    assert.match(bad.message, /HTTP 502/);
    await rejectsWith(solver('key-text').solve(RECAPTCHA), 'captcha_bad_response');
  });

  test('the provider unreachable → captcha_network', async () => {
    const { server: gone, base: goneBase } = await listen(() => {});
    await shut(gone);
    const err = await rejectsWith(
      new TwoCaptchaSolver({ apiKey: 'k', baseUrl: goneBase }).solve(RECAPTCHA),
      'captcha_network',
    );
    assert.equal(err.retryable, true);
  });

  test('a challenge without a site key → captcha_unsupported, nothing sent', async () => {
    await rejectsWith(
      solver('key-nokey').solve({ ...RECAPTCHA, siteKey: null }),
      'captcha_unsupported',
    );
    assert.equal(seenBy('key-nokey').length, 0);
  });

  test('an already aborted signal → captcha_aborted, nothing sent', async () => {
    await rejectsWith(
      solver('key-pre-aborted').solve(RECAPTCHA, { signal: AbortSignal.abort() }),
      'captcha_aborted',
    );
    assert.equal(seenBy('key-pre-aborted').length, 0);
  });

  test('provider codes map to our codes; unknown ones to captcha_provider', () => {
    assert.equal(mapTwoCaptchaError('ERROR_WRONG_CAPTCHA_ID'), 'captcha_task_lost');
    assert.equal(mapTwoCaptchaError('ERROR_IP_NOT_ALLOWED'), 'captcha_denied');
    assert.equal(mapTwoCaptchaError('ERROR_RECAPTCHA_INVALID_SITEKEY'), 'captcha_bad_request');
    assert.equal(mapTwoCaptchaError('ERROR_TASK_NOT_SUPPORTED'), 'captcha_unsupported');
    assert.equal(mapTwoCaptchaError('ERROR_SOMETHING_NEW'), 'captcha_provider');
  });

  test('parseAnswer keeps big numeric task ids as strings', () => {
    assert.deepEqual(parseAnswer(`{"errorId":0,"taskId":${BIG_TASK_ID}}`), {
      errorId: 0,
      taskId: BIG_TASK_ID,
    });
    assert.deepEqual(parseAnswer('{"errorId":0,"taskId":"61138bb6-19fb"}'), {
      errorId: 0,
      taskId: '61138bb6-19fb',
    });
    assert.equal(parseAnswer('OK|123'), null);
    assert.equal(parseAnswer('[1,2]'), null);
  });

  test('the polling floor: intervals under 5 s are refused', () => {
    assert.throws(() => solver('k', { pollIntervalMs: 4999 }), RangeError);
    assert.throws(() => solver('k', { initialDelayMs: 1000 }), RangeError);
    assert.throws(() => solver('k', { maxWaitMs: 4000 }), RangeError);
    assert.throws(() => new TwoCaptchaSolver({ apiKey: '' }), RangeError);
  });
});

test('the aborted task was never polled', () => {
  // Well over 5 s have passed since the first test aborted during its wait.
  assert.equal(seenBy('key-abort', 'getTaskResult').length, 0);
});
