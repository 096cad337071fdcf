/** Pipeline files: YAML/JSON, chains with options, steps, plugins, and errors naming the field. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { openChain } from '../../src/pipeline/chain.js';
import { loadPipeline } from '../../src/pipeline/pipeline-file.js';
import { repoFile } from '../support/repo-file.js';
import { tempDir } from '../support/temp-dir.js';

async function withFile(
  name: string,
  text: string,
  fn: (path: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await tempDir();
  try {
    const path = join(dir.path, name);
    await writeFile(path, text);
    await fn(path, dir.path);
  } finally {
    await dir.cleanup();
  }
}

const rejectsWith = async (name: string, text: string, message: RegExp | string): Promise<void> =>
  withFile(name, text, async (file) => {
    await assert.rejects(loadPipeline({ file }), (err: Error & { code?: string }) => {
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      assert.equal(err.code, 'usage');
      return true;
    });
  });

describe('pipeline file', () => {
  test('YAML steps run as a chain; extract passes through; minQuality adds a score step', async () => {
    const yaml = [
      'onError: skip',
      'extract: { formats: [markdown, metadata], onlyMainContent: true, excludeSelectors: [nav] }',
      'minQuality: 0.1',
      'steps:',
      '  - handler: transform',
      '    options: { fields: [{ field: name, op: title }] }',
      '  - name: validate',
      '    options: { required: [email] }',
    ].join('\n');
    await withFile('pipeline.yaml', yaml, async (file) => {
      const p = await loadPipeline({ file });
      assert.deepEqual(p.extract, {
        formats: ['markdown', 'metadata'],
        onlyMainContent: true,
        excludeSelectors: ['nav'],
      });
      assert.deepEqual(
        p.steps.map((s) => s.handler.name),
        ['transform', 'validate', 'score'],
      );
      const chain = await openChain(p.steps, { onError: p.onError! });
      const r = await chain.runItem({ name: 'ada lovelace', text: 'x'.repeat(1500), title: 't' });
      await chain.close();
      assert.equal(r.item!.name, 'Ada Lovelace');
      assert.equal(r.errors[0]?.code, 'validation_failed');
      assert.equal(typeof r.item!.quality, 'number');
    });
  });

  test('a predefined chain configured through options (JSON)', async () => {
    const json = JSON.stringify({
      chain: 'validation_only',
      options: { validate: { required: ['id'] } },
    });
    await withFile('pipeline.json', json, async (file) => {
      const p = await loadPipeline({ file });
      const chain = await openChain(p.steps);
      const r = await chain.runItem({});
      await chain.close();
      assert.equal(r.errors[0]?.code, 'validation_failed');
    });
  });

  test('errors name the file and the field path', async () => {
    await rejectsWith(
      'pipeline.yaml',
      'steps:\n  - handler: validate\n  - handler: enrich\n  - handler: transform\n    options: { fields: nope }\n',
      'pipeline.yaml: steps.2.options.fields: Invalid input: expected array, received string (handler transform)',
    );
    await rejectsWith('pipeline.yaml', 'stpes: []\n', /^pipeline\.yaml: Unrecognized key: "stpes"/);
    await rejectsWith(
      'pipeline.yaml',
      'steps:\n  - handler: nope\n',
      /^pipeline\.yaml: steps\.0\.handler: unknown handler "nope"/,
    );
    await rejectsWith(
      'pipeline.yaml',
      'steps:\n  - options: {}\n',
      /^pipeline\.yaml: steps\.0\.handler: name the handler/,
    );
    await rejectsWith(
      'pipeline.yaml',
      'chain: standard\nsteps: [{handler: validate}]\n',
      /^pipeline\.yaml: steps: give either chain/,
    );
    await rejectsWith('pipeline.yaml', 'chain: fastest\n', /unknown chain "fastest"/);
    await rejectsWith(
      'pipeline.yaml',
      'chain: standard\noptions:\n  notify:\n    targets: [{ type: webhook, url: "ftp://x" }]\n',
      'pipeline.yaml: options.notify.targets.0.url: expected an http(s) URL (handler notify)',
    );
    await rejectsWith(
      'pipeline.yaml',
      'chain: standard\noptions: { notfy: {} }\n',
      'pipeline.yaml: options.notfy: no handler of that name',
    );
    await rejectsWith('pipeline.yaml', 'minQuality: 2\n', /^pipeline\.yaml: minQuality: Too big/);
    await rejectsWith(
      'pipeline.yaml',
      'extract: { formats: [pdf] }\n',
      /^pipeline\.yaml: extract\.formats\.0: Invalid option/,
    );
    await rejectsWith('pipeline.yaml', 'steps: [\n', /^pipeline\.yaml: not valid YAML: /);
    await rejectsWith('pipeline.json', '{"steps": ', /^pipeline\.json: not valid JSON: /);
  });

  test('user handlers load from ES modules relative to the file', async () => {
    const dir = await tempDir();
    try {
      const example = relative(dir.path, repoFile('docs/examples/word-count-handler.js'));
      const file = join(dir.path, 'pipeline.yaml');
      await writeFile(
        file,
        `handlers: [${JSON.stringify(example)}]\nsteps:\n  - handler: word-count\n    options: { minWords: 3 }\n`,
      );
      const p = await loadPipeline({ file });
      assert.ok(p.registry.has('word-count'));
      const chain = await openChain(p.steps);
      const [long, short] = [
        await chain.runItem({ text: 'one two three four' }),
        await chain.runItem({ text: 'one' }),
      ];
      await chain.close();
      assert.equal(long.item!.wordCount, 4);
      assert.deepEqual(short.dropped, { by: 'word-count', reason: '1 words, fewer than 3' });

      await writeFile(
        join(dir.path, 'no-run.js'),
        'export default { name: "x", options: { safeParse: (v) => ({ success: true, data: v }) } };\n',
      );
      await writeFile(join(dir.path, 'no-default.js'), 'export const handler = 1;\n');
      await writeFile(
        join(dir.path, 'no-schema.js'),
        'export default [{ name: "y", run: (i) => i }];\n',
      );
      await writeFile(
        join(dir.path, 'clash.js'),
        'export default { name: "validate", options: { safeParse: (v) => ({ success: true, data: v }) }, run: (i) => i };\n',
      );
      const cases: [string, RegExp][] = [
        [
          './no-run.js',
          /handlers\.0 \(\.\/no-run\.js\): handler "x": run\(item, ctx\) must be a function/,
        ],
        ['./no-default.js', /handlers\.0 \(\.\/no-default\.js\): the module has no default export/],
        [
          './no-schema.js',
          /default\[0\]: handler "y": options must be a schema with safeParse\(\)/,
        ],
        ['./missing.js', /handlers\.0 \(\.\/missing\.js\): cannot load /],
        ['./clash.js', /handler name "validate" is already registered/],
      ];
      for (const [mod, message] of cases) {
        await writeFile(file, `handlers: [${mod}]\nchain: validation_only\n`);
        await assert.rejects(loadPipeline({ file }), message);
      }
    } finally {
      await dir.cleanup();
    }
  });
});
