/**
 * The chain runner: order, each handler seeing the previous output, the result shape,
 * failures (HandlerError, throw, rejection, deadline) under stop and skip, drops, bad
 * output, bad options naming the field, and close().
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { buildChain, PipelineConfigError } from '../../src/pipeline/chain.js';
import { HandlerError, type Handler } from '../../src/pipeline/handler.js';
import { createRegistry } from '../../src/pipeline/registry.js';

const noOptions = z.strictObject({});

function appender(name: string, letter: string): Handler {
  return {
    name,
    description: `appends ${letter}`,
    options: noOptions,
    run: (item, ctx) => {
      ctx.log('info', `saw ${String(item.trail)}`);
      return { ...item, trail: `${String(item.trail ?? '')}${letter}` };
    },
  };
}

const thrower: Handler = {
  name: 'thrower',
  description: 'throws',
  options: noOptions,
  run: () => {
    throw new TypeError('boom');
  },
};

const rejecter: Handler = {
  name: 'rejecter',
  description: 'rejects with a coded error',
  options: noOptions,
  run: () => Promise.reject(new HandlerError('upstream_down', 'upstream is down', { host: 'x' })),
};

/** Never settles by itself; resolves the returned promise when its signal aborts. */
function hanger(): { handler: Handler; aborted: Promise<unknown>; started: Promise<unknown> } {
  let onAbort!: (reason: unknown) => void;
  let onStart!: (v: unknown) => void;
  const aborted = new Promise((r) => (onAbort = r));
  const started = new Promise((r) => (onStart = r));
  return {
    aborted,
    started,
    handler: {
      name: 'hanger',
      description: 'hangs',
      options: noOptions,
      run: (_item, ctx) =>
        new Promise(() => {
          onStart(true);
          ctx.signal.addEventListener('abort', () => onAbort(ctx.signal.reason));
        }),
    },
  };
}

describe('chain runner', () => {
  test('runs handlers in order, each on the previous output, with logs, stages and timings', async () => {
    const chain = await buildChain([
      { handler: appender('a', 'A') },
      { handler: appender('b', 'B') },
    ]);
    const r = await chain.runItem({ id: 1 });
    await chain.close();
    assert.equal(r.ok, true);
    assert.deepEqual(r.item, { id: 1, trail: 'AB' });
    assert.deepEqual(r.handlersExecuted, ['a', 'b']);
    assert.deepEqual(
      r.logs.map((l) => [l.handler, l.level, l.message]),
      [
        ['a', 'info', 'saw undefined'],
        ['b', 'info', 'saw A'],
      ],
    );
    assert.ok(
      r.logs.every((l) => typeof l.at === 'number' && Math.abs(l.at - Date.now()) < 60_000),
    );
    assert.deepEqual(
      r.stages?.map((s) => [s.handler, s.status, s.output]),
      [
        ['a', 'ok', { id: 1, trail: 'A' }],
        ['b', 'ok', { id: 1, trail: 'AB' }],
      ],
    );
    assert.ok(r.stages!.every((s) => s.ms >= 0) && r.processingMs >= 0);
    assert.deepEqual([r.errors, r.warnings], [[], []]);
  });

  test('stages: false leaves the per-stage copies out', async () => {
    const chain = await buildChain([{ handler: appender('a', 'A') }], { stages: false });
    const r = await chain.runItem({});
    await chain.close();
    assert.equal(r.stages, undefined);
    assert.deepEqual(r.item, { trail: 'A' });
  });

  test('stop: a throwing handler ends the chain, the item is as before it, ok is false', async () => {
    const chain = await buildChain([
      { handler: appender('a', 'A') },
      { handler: thrower },
      { handler: appender('b', 'B') },
    ]);
    const r = await chain.runItem({});
    await chain.close();
    assert.equal(r.ok, false);
    assert.equal(r.stoppedBy, 'thrower');
    assert.deepEqual(r.item, { trail: 'A' });
    assert.deepEqual(r.handlersExecuted, ['a', 'thrower']);
    assert.deepEqual(r.errors, [
      {
        handler: 'thrower',
        code: 'handler_failed',
        message: 'boom',
        details: { errorName: 'TypeError' },
      },
    ]);
    assert.equal(r.stages?.[1]?.status, 'failed');
  });

  test('skip: a rejected HandlerError is recorded with its code and the item goes on unchanged', async () => {
    const chain = await buildChain(
      [{ handler: appender('a', 'A') }, { handler: rejecter }, { handler: appender('b', 'B') }],
      { onError: 'skip' },
    );
    const r = await chain.runItem({});
    await chain.close();
    assert.deepEqual(r.item, { trail: 'AB' });
    assert.equal(r.ok, false);
    assert.deepEqual(r.errors, [
      {
        handler: 'rejecter',
        code: 'upstream_down',
        message: 'upstream is down',
        details: { host: 'x' },
      },
    ]);
    assert.match(r.warnings[0]!, /^rejecter: failed \(upstream_down\); skipped/);
  });

  test('a step may override the chain onError', async () => {
    const chain = await buildChain([
      { handler: thrower, onError: 'skip' },
      { handler: appender('a', 'A') },
    ]);
    const r = await chain.runItem({});
    await chain.close();
    assert.deepEqual([r.item, r.handlersExecuted], [{ trail: 'A' }, ['thrower', 'a']]);
  });

  test('a handler past its deadline fails with handler_timeout and its signal is aborted', async () => {
    const { handler, aborted } = hanger();
    const chain = await buildChain([{ handler, timeoutMs: 50 }, { handler: appender('a', 'A') }], {
      onError: 'skip',
    });
    const started = performance.now();
    const r = await chain.runItem({ x: 1 });
    const took = performance.now() - started;
    await chain.close();
    assert.ok(took >= 45 && took < 5_000, `took ${took} ms`);
    assert.equal(r.errors[0]?.code, 'handler_timeout');
    assert.deepEqual(r.item, { x: 1, trail: 'A' });
    assert.ok((await aborted) instanceof Error);
  });

  test('drop: the item is null, the result says who dropped it and why, ok stays true', async () => {
    const dropper: Handler = {
      name: 'dropper',
      description: 'drops',
      options: noOptions,
      run: () => ({ drop: true, reason: 'not wanted' }),
    };
    const chain = await buildChain([{ handler: dropper }, { handler: appender('a', 'A') }]);
    const r = await chain.runItem({});
    await chain.close();
    assert.deepEqual(
      [r.ok, r.item, r.dropped, r.handlersExecuted],
      [true, null, { by: 'dropper', reason: 'not wanted' }, ['dropper']],
    );
  });

  test('a handler returning no object fails with handler_bad_output', async () => {
    const bad: Handler = {
      name: 'bad',
      description: '',
      options: noOptions,
      run: () => undefined as never,
    };
    const chain = await buildChain([{ handler: bad }]);
    const r = await chain.runItem({ a: 1 });
    await chain.close();
    assert.deepEqual([r.errors[0]?.code, r.item], ['handler_bad_output', { a: 1 }]);
  });

  test('bad options are an error naming the step index, handler and field path', async () => {
    const registry = createRegistry();
    await assert.rejects(
      buildChain(
        [
          { handler: 'validate' },
          { handler: 'transform', options: { fields: [{ field: 'a', op: 'shout' }] } },
        ],
        { registry },
      ),
      (err: unknown) => {
        assert.ok(err instanceof PipelineConfigError);
        assert.match(err.message, /^steps\[1\] \(transform\)\.options\.fields\.0\.op: /);
        assert.equal(err.code, 'usage');
        return true;
      },
    );
    await assert.rejects(
      buildChain([{ handler: 'nope' }], { registry }),
      /steps\[0\] \(nope\)\.handler: unknown handler "nope" \(known: clean, dedup/,
    );
  });

  test('close() calls every close hook and aborts a handler still running', async () => {
    const closed: string[] = [];
    const withClose = (name: string): Handler => ({
      name,
      description: '',
      options: noOptions,
      setup: () => ({ name }),
      run: (item) => item,
      close: (state) => {
        closed.push((state as { name: string }).name);
      },
    });
    const { handler, aborted, started } = hanger();
    const chain = await buildChain([
      { handler: withClose('first') },
      { handler },
      { handler: withClose('last') },
    ]);
    const running = chain.runItem({});
    await started;
    await chain.close();
    const r = await running;
    assert.equal(r.errors[0]?.code, 'chain_closed');
    await aborted;
    assert.deepEqual(closed, ['last', 'first']);
    await assert.rejects(chain.runItem({}), /after close/);
  });
});
