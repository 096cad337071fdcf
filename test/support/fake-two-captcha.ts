/**
 * A local fake of 2Captcha's JSON API (POST /createTask, POST /getTaskResult) on
 * loopback. Every request is recorded with its server-side arrival time.
 *
 * A test's `scenario` may answer any request itself (by client key, say); where it
 * returns undefined, the fake behaves like the provider: a key in `validKeys` gets a task
 * id per createTask and, on its first poll, a token unique to that task, which the fake
 * remembers (`issued`) so a fake site can check what it is shown; any other key gets
 * ERROR_KEY_DOES_NOT_EXIST.
 */
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { listen, shut } from './loopback-server.js';

export interface FakeRequest {
  method: string;
  clientKey: string;
  at: number;
  raw: string;
  body: Record<string, unknown>;
}

export interface FakeReply {
  status?: number;
  json?: unknown;
  text?: string;
  /** Never answer (until the client goes away). */
  hang?: boolean;
}

/** A task the fake created, and the token it issued for it once polled. */
export interface FakeTask {
  taskId: string;
  clientKey: string;
  task: Record<string, unknown>;
  token: string | null;
}

export interface FakeTwoCaptcha {
  base: string;
  /** Every request, in arrival order. */
  readonly seen: FakeRequest[];
  seenBy(clientKey: string, method?: string): FakeRequest[];
  /** Tasks created by the provider-like default, by task id. */
  readonly tasks: Map<string, FakeTask>;
  /** The task a token was issued for, or undefined. */
  issued(token: string): FakeTask | undefined;
  /** Requests left hanging by a `hang` reply. */
  readonly hanging: Set<http.ServerResponse>;
  close(): Promise<void>;
}

export type FakeScenario = (request: FakeRequest) => FakeReply | undefined;

export interface FakeTwoCaptchaOptions {
  scenario?: FakeScenario;
  /** Keys the provider-like default accepts. */
  validKeys?: readonly string[];
}

export async function startFakeTwoCaptcha(
  options: FakeTwoCaptchaOptions = {},
): Promise<FakeTwoCaptcha> {
  const seen: FakeRequest[] = [];
  const tasks = new Map<string, FakeTask>();
  const hanging = new Set<http.ServerResponse>();
  const valid = new Set(options.validKeys ?? []);
  let nextId = 7_000_001;

  const provider = (request: FakeRequest): FakeReply => {
    if (!valid.has(request.clientKey)) {
      return {
        json: {
          errorId: 1,
          errorCode: 'ERROR_KEY_DOES_NOT_EXIST',
          errorDescription: 'Your API key is incorrect',
        },
      };
    }
    if (request.method === 'createTask') {
      const taskId = String(nextId++);
      const task = (request.body.task ?? {}) as Record<string, unknown>;
      tasks.set(taskId, { taskId, clientKey: request.clientKey, task, token: null });
      return { json: { errorId: 0, taskId: Number(taskId) } };
    }
    const known = tasks.get(String(request.body.taskId));
    if (request.method !== 'getTaskResult' || known === undefined) {
      return { json: { errorId: 16, errorCode: 'ERROR_NO_SUCH_CAPCHA_ID' } };
    }
    known.token ??= `03AFcWeA-${known.taskId}-${randomBytes(8).toString('hex')}`;
    return {
      json: {
        errorId: 0,
        status: 'ready',
        solution: { gRecaptchaResponse: known.token, token: known.token },
        cost: '0.00299',
      },
    };
  };

  const { server, base } = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      try {
        // Big task ids would be rounded here; tests look at `raw` for those.
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        // recorded with an empty body
      }
      const method = (req.url ?? '').replace(/^\//, '');
      const clientKey = typeof body.clientKey === 'string' ? body.clientKey : '';
      const request: FakeRequest = { method, clientKey, at: Date.now(), raw, body };
      seen.push(request);
      const reply = options.scenario?.(request) ?? provider(request);
      if (reply.hang === true) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.statusCode = reply.status ?? 200;
      res.setHeader('content-type', reply.json !== undefined ? 'application/json' : 'text/html');
      res.end(reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? ''));
    });
  });

  return {
    base,
    seen,
    seenBy: (clientKey, method) =>
      seen.filter(
        (s) => s.clientKey === clientKey && (method === undefined || s.method === method),
      ),
    tasks,
    issued: (token) => [...tasks.values()].find((t) => t.token === token),
    hanging,
    close: () => shut(server),
  };
}
