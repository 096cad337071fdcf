/**
 * notify against real servers on 127.0.0.1: an SMTP server (smtp-server) and an HTTP
 * webhook receiver that checks the HMAC signature and answers 500 before it accepts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { z } from 'zod';
import { buildChain } from '../../src/pipeline/chain.js';
import { HandlerError, type Handler } from '../../src/pipeline/handler.js';
import { notifyHandler } from '../../src/pipeline/handlers/send-notifications.js';
import { runOne } from './pipeline-support.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** Answers each request with the next status scripted for its path (then 200), recording it. */
function receiver(): {
  received: Received[];
  script: (path: string, ...statuses: number[]) => void;
  url: (p: string) => string;
  close: () => Promise<void>;
  ready: Promise<void>;
} {
  const received: Received[] = [];
  const scripts = new Map<string, number[]>();
  const script = (path: string, ...statuses: number[]): void => {
    scripts.set(path, [...(scripts.get(path) ?? []), ...statuses]);
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body, at: performance.now() });
      const status = scripts.get(new URL(req.url ?? '/', 'http://x').pathname)?.shift() ?? 200;
      if (status === 0) return; // never answer: the attempt times out
      res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {}).end('ok');
    });
  });
  const ready = new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    received,
    script,
    ready,
    url: (p) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${p}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const fast = { attempts: 3, baseDelayMs: 20, maxDelayMs: 200 };

describe('notify', () => {
  const hook = receiver();
  const mails: { from: string; to: string[]; raw: string }[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => (raw += d));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        callback();
      });
    },
  });
  let smtpPort = 0;

  before(async () => {
    await hook.ready;
    smtp.listen(0, '127.0.0.1');
    await once(smtp.server, 'listening');
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });
  after(async () => {
    await hook.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  test('email over SMTP with templates; HTML values are escaped', async () => {
    const options = {
      targets: [
        {
          type: 'email',
          smtp: { host: '127.0.0.1', port: smtpPort, ignoreTLS: true },
          from: 'trawl@example.test',
          to: ['ops@example.test', 'dev@example.test'],
          subject: 'New record {{id}} from {{source.name}}',
          text: 'Name: {{name}}',
          html: '<p>Name: {{name}}</p>',
        },
      ],
    };
    const [r] = await runOne(notifyHandler, options, {
      id: 7,
      name: '<b>Ada & co</b>',
      source: { name: 'crm' },
    });
    assert.equal(r!.ok, true, JSON.stringify(r!.errors));
    assert.equal(mails.length, 1);
    const mail = mails[0]!;
    assert.deepEqual(
      [mail.from, mail.to],
      ['trawl@example.test', ['ops@example.test', 'dev@example.test']],
    );
    assert.match(mail.raw, /^Subject: New record 7 from crm\r?$/m);
    assert.match(mail.raw, /Name: <b>Ada & co<\/b>/);
    assert.match(mail.raw, /<p>Name: &lt;b&gt;Ada &amp; co&lt;\/b&gt;<\/p>/);
    assert.match(
      r!.logs.at(-1)!.message,
      /^email to ops@example.test, dev@example.test: sent \(attempt 1\)$/,
    );
  });

  test('webhook: signed JSON, retried after 500s with growing waits, then delivered', async () => {
    hook.received.length = 0;
    hook.script('/hook', 500, 503);
    const secret = 's3cret';
    const [r] = await runOne(
      notifyHandler,
      {
        targets: [
          {
            type: 'webhook',
            url: hook.url('/hook?token=abc'),
            secret,
            headers: { 'x-extra': '1' },
          },
        ],
        retry: fast,
      },
      { id: 1 },
    );
    assert.equal(r!.ok, true, JSON.stringify(r!.errors));
    assert.equal(hook.received.length, 3);
    for (const req of hook.received) {
      const expected = `sha256=${createHmac('sha256', secret).update(req.body).digest('hex')}`;
      assert.equal(req.headers['x-trawl-signature'], expected);
      assert.equal(req.headers['content-type'], 'application/json');
      assert.equal(req.headers['x-extra'], '1');
    }
    const ids = new Set(hook.received.map((q) => q.headers['x-trawl-delivery']));
    assert.equal(ids.size, 1, 'one delivery id across retries');
    assert.deepEqual(JSON.parse(hook.received[0]!.body), {
      event: 'trawl.item',
      jobId: null,
      errors: [],
      item: { id: 1 },
    });
    const [t0, t1, t2] = hook.received.map((q) => q.at) as [number, number, number];
    assert.ok(t1 - t0 >= 9, `first wait ${t1 - t0} ms (base 20 ms, half jittered)`);
    assert.ok(t2 - t1 >= 19, `second wait ${t2 - t1} ms`);
    assert.equal(r!.logs.filter((l) => /retrying/.test(l.message)).length, 2);
    assert.ok(
      r!.logs.every((l) => !l.message.includes('token')),
      'the URL query is not logged',
    );
  });

  test('a target still failing after its attempts is notify_failed; a 400 is not retried', async () => {
    hook.received.length = 0;
    hook.script('/a', 500, 500, 500);
    hook.script('/b', 400);
    const [r] = await runOne(
      notifyHandler,
      {
        targets: [
          { type: 'webhook', url: hook.url('/a') },
          { type: 'slack', url: hook.url('/b'), text: 'x' },
        ],
        retry: fast,
      },
      { id: 2 },
    );
    assert.equal(r!.errors[0]?.code, 'notify_failed');
    const details = r!.errors[0]!.details as { failures: { attempts: number; error: string }[] };
    assert.deepEqual(details.failures.map((f) => f.attempts).sort(), [1, 3]);
    assert.ok(details.failures.some((f) => f.error === 'HTTP 400'));
    assert.equal(hook.received.length, 4);
  });

  test('an attempt that gets no answer times out and is retried', async () => {
    hook.received.length = 0;
    hook.script('/slow', 0);
    const [r] = await runOne(
      notifyHandler,
      { targets: [{ type: 'webhook', url: hook.url('/slow') }], retry: fast, timeoutMs: 100 },
      { id: 3 },
    );
    assert.equal(r!.ok, true, JSON.stringify(r!.errors));
    assert.equal(hook.received.length, 2);
    assert.match(r!.logs[0]!.message, /attempt 1 failed \(no answer within 100 ms\)/);
  });

  test('slack {text}, a custom JSON body, and when: on-error / a condition', async () => {
    hook.received.length = 0;
    const failing: Handler = {
      name: 'failing',
      description: '',
      options: z.strictObject({}),
      run: () => {
        throw new HandlerError('bad_thing', 'it broke');
      },
    };
    const chain = await buildChain([
      { handler: failing, onError: 'skip' },
      {
        handler: notifyHandler,
        options: {
          when: 'on-error',
          targets: [{ type: 'slack', url: hook.url('/slack'), text: 'Failed {{id}}: {{_errors}}' }],
        },
      },
      {
        handler: notifyHandler,
        options: {
          when: 'price > 100',
          targets: [
            {
              type: 'webhook',
              url: hook.url('/body'),
              body: { sku: '{{id}}', price: '{{price}}', note: 'p={{price}}' },
            },
          ],
        },
      },
    ]);
    await chain.runItem({ id: 'a', price: 150 });
    await chain.runItem({ id: 'b', price: 50 });
    await chain.close();
    const slack = hook.received.filter((q) => q.path === '/slack').map((q) => JSON.parse(q.body));
    assert.deepEqual(slack, [
      { text: 'Failed a: failing: bad_thing: it broke' },
      { text: 'Failed b: failing: bad_thing: it broke' },
    ]);
    const bodies = hook.received.filter((q) => q.path === '/body').map((q) => JSON.parse(q.body));
    assert.deepEqual(bodies, [{ sku: 'a', price: 150, note: 'p=150' }]);
    const [quiet] = await runOne(
      notifyHandler,
      { when: 'on-error', targets: [{ type: 'slack', url: hook.url('/never') }] },
      { id: 'c' },
    );
    assert.equal(quiet!.ok, true);
    assert.equal(hook.received.filter((q) => q.path === '/never').length, 0);
  });

  test('without targets it passes items through; bad targets are option errors', async () => {
    const [r] = await runOne(notifyHandler, {}, { a: 1 });
    assert.deepEqual([r!.ok, r!.item, r!.logs], [true, { a: 1 }, []]);
    await assert.rejects(
      buildChain([
        { handler: notifyHandler, options: { targets: [{ type: 'webhook', url: 'ftp://x' }] } },
      ]),
      /steps\[0\] \(notify\)\.options\.targets\.0\.url: expected an http\(s\) URL/,
    );
    await assert.rejects(
      buildChain([{ handler: notifyHandler, options: { targets: [{ type: 'sms' }] } }]),
      /options\.targets\.0\.type: /,
    );
  });
});
