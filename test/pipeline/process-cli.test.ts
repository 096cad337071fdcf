/** `trawl process` end to end through the real CLI: streaming, bad lines, plugins, exit codes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoFile } from '../support/repo-file.js';
import { tempDir } from '../support/temp-dir.js';
import { jsonLines, runProcess } from './pipeline-support.js';

describe('trawl process', () => {
  test('a bad line in the middle becomes an error line; the rest is processed in order; exit 1', async () => {
    const input = [
      '{"id":1,"email":"a@example.com"}',
      '{"id":2, oops',
      '',
      '[1,2]',
      '{"id":3,"email":"c@example.org"}',
      '',
    ].join('\n');
    const r = await runProcess(['--chain', 'standard', '--summary'], input);
    assert.equal(r.code, 1, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.equal(lines.length, 4);
    const meta = lines.map(
      (l) =>
        l._pipeline as { ok: boolean; line: number; errors: { code: string; message: string }[] },
    );
    assert.deepEqual(
      meta.map((m) => [m.line, m.ok]),
      [
        [1, true],
        [2, false],
        [4, false],
        [5, true],
      ],
    );
    assert.equal(meta[1]!.errors[0]!.code, 'bad_json');
    assert.match(meta[1]!.errors[0]!.message, /^line 2: /);
    assert.equal(lines[1]!._raw, '{"id":2, oops', 'the bad line is kept');
    assert.equal(meta[2]!.errors[0]!.code, 'not_an_object');
    assert.deepEqual(
      [lines[0]!.id, lines[0]!.emailDomain, lines[3]!.emailDomain],
      [1, 'example.com', 'example.org'],
    );
    assert.match(
      r.stderr,
      /trawl process: 4 items · 2 ok · 2 failed · 0 dropped · \d+ items\/s in/,
    );
    assert.match(r.stderr, /^ {2}enrich: 2 runs, 0 failed, 0 dropped/m);
  });

  test('standard with its export stage configured writes the records to a file', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'pipeline.yaml');
      const out = join(dir.path, 'out.jsonl');
      await writeFile(
        file,
        `chain: standard\noptions:\n  export: { path: ${JSON.stringify(out)} }\n`,
      );
      const r = await runProcess(['--pipeline', file], '{"id":1,"email":"a@b.com"}\n{"id":2}\n');
      assert.equal(r.code, 0, r.stderr);
      const meta = jsonLines(r.stdout).map((l) => l._pipeline as { handlersExecuted: string[] });
      assert.deepEqual(meta[0]!.handlersExecuted, [
        'validate',
        'transform',
        'enrich',
        'export',
        'notify',
      ]);
      const written = jsonLines(await readFile(out, 'utf8'));
      assert.deepEqual(
        written.map((w) => [w.id, w.emailDomain]),
        [
          [1, 'b.com'],
          [2, undefined],
        ],
      );
    } finally {
      await dir.cleanup();
    }
  });

  test('10,000 lines stream through with bounded concurrency and keep their order', async () => {
    const n = 10_000;
    function* lines(): Generator<string> {
      for (let i = 0; i < n; i++)
        yield `${JSON.stringify({ i, name: `user ${i}`, price: `${i},50` })}\n`;
    }
    const r = await runProcess(['--chain', 'validation_only', '--concurrency', '8'], lines());
    assert.equal(r.code, 0, r.stderr);
    const out = jsonLines(r.stdout);
    assert.equal(out.length, n);
    assert.ok(out.every((o, i) => o.i === i && (o._pipeline as { line: number }).line === i + 1));
    assert.match(r.stderr, new RegExp(`${n} items · ${n} ok · 0 failed`));
  });

  test('a pipeline file with the example plugin, --on-error skip and --full', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'pipeline.yaml');
      await writeFile(
        file,
        [
          `handlers: [${JSON.stringify(repoFile('docs/examples/word-count-handler.js'))}]`,
          'steps:',
          '  - handler: validate',
          '    options: { required: [id] }',
          '  - handler: word-count',
          '    options: { minWords: 2 }',
        ].join('\n'),
      );
      const input = '{"id":1,"text":"a b c"}\n{"text":"x y"}\n{"id":3,"text":"x"}\n';
      const stop = await runProcess(['--pipeline', file], input);
      assert.equal(stop.code, 1);
      const [a, b, c] = jsonLines(stop.stdout);
      assert.equal(a!.wordCount, 3);
      assert.deepEqual(
        [(b!._pipeline as { stoppedBy: string }).stoppedBy, b!.wordCount],
        ['validate', undefined],
      );
      assert.deepEqual(c, {
        _pipeline: {
          ok: true,
          line: 3,
          errors: [],
          warnings: [],
          handlersExecuted: ['validate', 'word-count'],
          processingMs: (c!._pipeline as { processingMs: number }).processingMs,
          dropped: { by: 'word-count', reason: '1 words, fewer than 2' },
        },
      });

      const skip = await runProcess(['--pipeline', file, '--on-error', 'skip', '--full'], input);
      const full = jsonLines(skip.stdout);
      assert.equal(
        (full[1]!.item as { wordCount: number }).wordCount,
        2,
        'skip: word-count ran after validate failed',
      );
      assert.deepEqual(
        (full[0]!.stages as { handler: string; status: string }[]).map((s) => [
          s.handler,
          s.status,
        ]),
        [
          ['validate', 'ok'],
          ['word-count', 'ok'],
        ],
      );
      assert.ok(Array.isArray(full[0]!.logs) && full[0]!.line === 1);
    } finally {
      await dir.cleanup();
    }
  });

  test('--list, and usage errors exit 2', async () => {
    const list = await runProcess(['--list'], '');
    assert.equal(list.code, 0);
    for (const name of [
      'validate',
      'transform',
      'enrich',
      'clean',
      'score',
      'notify',
      'validation_only',
      'transform_export',
      'enrich_notify',
      'standard',
    ]) {
      assert.match(list.stdout, new RegExp(`^ {2}${name} `, 'm'));
    }
    const unknown = await runProcess(['--chain', 'nope'], '{}\n');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown chain "nope"/);
    const badFlag = await runProcess(['--on-error', 'explode'], '');
    assert.equal(badFlag.code, 2);
  });
});
