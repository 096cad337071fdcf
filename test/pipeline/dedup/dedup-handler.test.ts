/** The `dedup` handler (src/pipeline/handlers/dedup-content.ts) over the memory index. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DedupIndex } from '../../../src/pipeline/dedup/dedup-index.js';
import { createMemoryDedupIndex } from '../../../src/pipeline/dedup/memory-dedup-index.js';
import {
  HandlerError,
  type HandlerContext,
  type HandlerOutput,
  type Item,
} from '../../../src/pipeline/handler.js';
import { dedupHandler, dedupOptions } from '../../../src/pipeline/handlers/dedup-content.js';

const TEXT = Array.from({ length: 400 }, (_, i) => `word${(i * 31) % 97}`).join(' ');

function runner(
  options: Record<string, unknown> = {},
  index: DedupIndex | null = createMemoryDedupIndex(),
) {
  const logs: string[] = [];
  const ctx: HandlerContext<ReturnType<typeof dedupOptions.parse>> = {
    options: dedupOptions.parse(options),
    state: undefined,
    signal: new AbortController().signal,
    jobId: 'job-h',
    log: (level, message) => logs.push(`${level}: ${message}`),
    services: index === null ? {} : { dedupIndex: index },
  };
  return {
    logs,
    run: (item: Item): Promise<HandlerOutput> => Promise.resolve(dedupHandler.run(item, ctx)),
  };
}

test('marks the first copy original and later copies with duplicateOf and kind', async () => {
  const { run } = runner();
  const first = (await run({ url: 'https://h/1', text: TEXT })) as Item;
  assert.equal(first.duplicateOf, null);
  assert.equal(first.duplicateKind, null);
  assert.match(first.simhash as string, /^[0-9a-f]{16}$/);
  const copy = (await run({ url: 'https://h/2', text: TEXT.toUpperCase() })) as Item;
  assert.equal(copy.duplicateOf, 'https://h/1');
  assert.equal(copy.duplicateKind, 'exact');
  const near = (await run({ url: 'https://h/3', text: `${TEXT} one more` })) as Item;
  assert.equal(near.duplicateOf, 'https://h/1');
  assert.equal(near.duplicateKind, 'near');
});

test('action drop drops duplicates (keeping the item in the decision) and keeps originals', async () => {
  const { run } = runner({ action: 'drop' });
  const first = (await run({ url: 'https://d/1', text: TEXT })) as Item;
  assert.equal(first.duplicateOf, null);
  const out = await run({ url: 'https://d/2', text: TEXT });
  assert.ok('drop' in out && out.drop === true);
  const dropped = out as { drop: true; reason: string; item?: Item };
  assert.match(dropped.reason, /exact duplicate of https:\/\/d\/1/);
  assert.equal(dropped.item?.duplicateOf, 'https://d/1');
});

test('near: false finds exact copies only', async () => {
  const { run } = runner({ near: false });
  await run({ url: 'https://e/1', text: TEXT });
  assert.equal(
    ((await run({ url: 'https://e/2', text: `${TEXT} more` })) as Item).duplicateOf,
    null,
  );
  assert.equal(
    ((await run({ url: 'https://e/3', text: TEXT })) as Item).duplicateOf,
    'https://e/1',
  );
});

test('text field: option, then text, markdown, body; id field for items without url', async () => {
  const { run } = runner();
  await run({ id: 7, markdown: TEXT });
  const viaBody = (await run({ id: 'b', body: TEXT })) as Item;
  assert.equal(viaBody.duplicateOf, '7');
  const custom = runner({ field: 'data.content', idField: 'key' });
  await custom.run({ key: 'k1', data: { content: TEXT } });
  const second = (await custom.run({ key: 'k2', data: { content: TEXT } })) as Item;
  assert.equal(second.duplicateOf, 'k1');
});

test('clear errors: no index, no text, no id; empty text is not checked', async () => {
  const noIndex = runner({}, null);
  await assert.rejects(noIndex.run({ url: 'https://x/1', text: TEXT }), (e: unknown) => {
    return e instanceof HandlerError && e.code === 'service_missing';
  });
  const { run, logs } = runner();
  await assert.rejects(
    run({ url: 'https://x/1', body: Buffer.from('x') as unknown }),
    (e: unknown) => {
      return (
        e instanceof HandlerError &&
        e.code === 'missing_field' &&
        /"text", "markdown", "body"/.test(e.message)
      );
    },
  );
  await assert.rejects(run({ text: TEXT }), (e: unknown) => {
    return e instanceof HandlerError && e.code === 'missing_field';
  });
  const empty = (await run({ url: 'https://x/2', text: ' -- ' })) as Item;
  assert.equal(empty.duplicateOf, null);
  assert.ok(logs.some((l) => l.startsWith('warn: no words')));
  assert.throws(() => dedupOptions.parse({ threshold: 4 }));
  assert.throws(() => dedupOptions.parse({ action: 'delete' }));
});
