import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  distributedServices,
  loadRuntimeConfig,
  RUNTIME_FIELDS,
} from '../../src/config/runtime-config.js';
import { repoFile } from '../support/repo-file.js';
import { tempDir } from '../support/temp-dir.js';

test('flags win over the environment, which wins over the file, over the defaults', async () => {
  const dir = await tempDir();
  try {
    const file = join(dir.path, 'trawl.json');
    await writeFile(
      file,
      JSON.stringify({ httpPort: 7000, writerBatchSize: 100, redisPrefix: 'f' }),
    );
    const config = loadRuntimeConfig({
      env: { TRAWL_CONFIG: file, TRAWL_HTTP_PORT: '8000', TRAWL_REDIS_PREFIX: 'e' },
      flags: { httpPort: 9000, redisPrefix: undefined },
    });
    assert.equal(config.httpPort, 9000, 'flag');
    assert.equal(config.redisPrefix, 'e', 'environment');
    assert.equal(config.writerBatchSize, 100, 'file');
    assert.equal(config.workerConcurrency, 64, 'default');
    assert.equal(config.redisUrl, null);
  } finally {
    await dir.cleanup();
  }
});

test('a bad value is named with where it came from', async () => {
  const dir = await tempDir();
  try {
    assert.throws(
      () => loadRuntimeConfig({ env: { TRAWL_HTTP_PORT: 'eighty' } }),
      (err: Error) =>
        (err as { code?: string }).code === 'usage' &&
        /httpPort \(from TRAWL_HTTP_PORT\)/.test(err.message),
    );
    const file = join(dir.path, 'bad.json');
    await writeFile(file, JSON.stringify({ writerBatchSize: 0, nonsense: 1 }));
    assert.throws(
      () => loadRuntimeConfig({ env: {}, file }),
      (err: Error) =>
        /writerBatchSize \(from .*bad\.json\)/.test(err.message) &&
        /nonsense .*unknown setting/.test(err.message),
    );
    await writeFile(file, '{ not json');
    assert.throws(() => loadRuntimeConfig({ env: {}, file }), /not valid JSON/);
  } finally {
    await dir.cleanup();
  }
});

test('the distributed mode needs both services, and says which is missing', () => {
  const base = loadRuntimeConfig({ env: {} });
  assert.equal(distributedServices(base), null, 'neither: embedded');
  const onlyRedis = loadRuntimeConfig({ env: { TRAWL_REDIS_URL: 'redis://127.0.0.1:6379' } });
  assert.throws(() => distributedServices(onlyRedis), /PostgreSQL .* is not set/);
});

test('README documents every runtime setting with its environment variable', async () => {
  const readme = await readFile(repoFile('README.md'), 'utf8');
  for (const [name, field] of Object.entries(RUNTIME_FIELDS)) {
    assert.ok(readme.includes(`| \`${name}\` | \`${field.env}\` |`), `README row for ${name}`);
  }
});
