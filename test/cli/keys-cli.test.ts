/**
 * `trawl keys` through the real CLI: a key is printed once and works against a running
 * server (which notices the first key within seconds), list never prints a secret, revoke
 * takes effect within the cache TTL, bad input exits 2 naming the flag; PostgreSQL with
 * --database. And `trawl serve`'s bind rule: a non-loopback interface without keys is
 * refused (exit 2) unless TRAWL_ALLOW_NO_AUTH is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { collect, runCli, spawnCli } from '../support/cli.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { startTestService, type TestService } from '../support/service.js';
import { tempDir } from '../support/temp-dir.js';

const KEY = /trawl_[0-9A-Za-z]{8,12}_[A-Za-z0-9_-]{43}/;
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9_-]{43}/;

async function status(url: string, key?: string): Promise<number> {
  const res = await request(`${url}/trawl/v1/jobs`, {
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  });
  await res.body.text();
  return res.statusCode;
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// The suites run side by side: each CLI start costs seconds, and they share nothing.
describe('trawl keys and the bind rule', { concurrency: true }, () => {
  describe('trawl keys (embedded, with a running server)', () => {
    let dir: { path: string; cleanup(): Promise<void> };
    let service: TestService;
    const keysCli = (args: string[]) =>
      runCli(['keys', ...args, '--data-dir', dir.path], { TRAWL_API_KEY_CACHE_MS: '300' });
    before(async () => {
      dir = await tempDir('trawl-keys-cli-');
      service = await startTestService('embedded', {
        env: { TRAWL_DATA_DIR: dir.path, TRAWL_API_KEY_CACHE_MS: '300' },
      });
    });
    after(async () => {
      await service?.close();
      await dir?.cleanup();
    });

    test('create prints the key once; it works at once; list never shows it; revoke stops it', async () => {
      assert.equal(await status(service.url), 200, 'open while no key exists');
      const [created, scripted] = await Promise.all([
        keysCli(['create', '--name', 'ci']),
        keysCli(['create', '--name', 'reader', '--scope', 'read', '--json']),
      ]);
      assert.equal(created.code, 0, created.stderr);
      const key = KEY.exec(created.stdout)?.[0];
      const webhookSecret = WEBHOOK_SECRET.exec(created.stdout)?.[0];
      assert.ok(key !== undefined && webhookSecret !== undefined, created.stdout);
      const id = key.split('_')[1]!;
      assert.match(created.stdout, /cannot be shown again/);
      assert.match(created.stdout, new RegExp(`Created API key ${id} "ci" \\(scopes: write\\)`));
      assert.equal(scripted.code, 0, scripted.stderr);
      const json = JSON.parse(scripted.stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(json).sort(), [
        'createdAt',
        'id',
        'key',
        'lastUsedAt',
        'name',
        'revokedAt',
        'scopes',
        'webhookSecret',
      ]);
      assert.deepEqual(json.scopes, ['read']);

      // The running server notices the first key within seconds.
      await until('the server to require keys', async () => (await status(service.url)) === 401);
      assert.equal(await status(service.url, key), 200);
      assert.equal(await status(service.url, json.key as string), 200);

      const [listed, listedJson] = await Promise.all([
        keysCli(['list']),
        keysCli(['list', '--json']),
      ]);
      assert.equal(listed.code, 0, listed.stderr);
      const lines = listed.stdout.trim().split('\n');
      assert.match(lines[0]!, /^ID\s+NAME\s+SCOPES\s+CREATED\s+LAST USED\s+REVOKED$/);
      assert.equal(lines.length, 3);
      assert.ok(
        lines.some((l) => new RegExp(`^${id}\\s+ci\\s+write\\s+\\d{4}-\\d\\d-\\d\\dT`).test(l)),
        listed.stdout,
      );
      const keys = JSON.parse(listedJson.stdout) as { id: string }[];
      assert.deepEqual(keys.map((k) => k.id).sort(), [id, json.id as string].sort());
      for (const out of [listed.stdout, listedJson.stdout]) {
        assert.doesNotMatch(out, KEY);
        assert.doesNotMatch(out, WEBHOOK_SECRET);
        assert.ok(!out.includes(key.slice(-43)) && !out.includes(webhookSecret.slice(6)));
      }

      const revoked = await keysCli(['revoke', id]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(
        revoked.stdout,
        new RegExp(`Revoked API key ${id} "ci": running servers refuse it within 1 s`),
      );
      await until('the revoked key refused', async () => (await status(service.url, key)) === 401);
      assert.equal(await status(service.url, json.key as string), 200, 'the other key still works');
      const [again, final] = await Promise.all([
        keysCli(['revoke', id]),
        keysCli(['list', '--json']),
      ]);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /was already revoked/);
      const mine = (
        JSON.parse(final.stdout) as {
          id: string;
          revokedAt: string | null;
          lastUsedAt: string | null;
        }[]
      ).find((k) => k.id === id);
      assert.notEqual(mine?.revokedAt, null);
      assert.notEqual(mine?.lastUsedAt, null, 'its use was recorded');
    });

    test('bad input exits 2 with the flag or the id named', async () => {
      const empty = await tempDir('trawl-keys-empty-');
      try {
        const cases: [string[], RegExp][] = [
          [['create', '--name', 'x', '--scope', 'root'], /--scope: unknown scope "root"/],
          [['create', '--name', ' '], /--name: must be 1-100 printable characters/],
          [['create'], /required option '--name <name>'/],
          [['revoke', 'NoSuchKey1'], /no API key with id "NoSuchKey1"/],
          [['revoke', '../etc'], /no API key with id "..\/etc"/],
          [['list', '--data-dir', `${empty.path}/none`], /no service database in/],
        ];
        // The last --data-dir wins: the empty one replaces keysCli's.
        const results = await Promise.all(
          cases.map(([args]) =>
            args.includes('--data-dir') ? runCli(['keys', ...args]) : keysCli(args),
          ),
        );
        cases.forEach(([args, message], i) => {
          const res = results[i]!;
          assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
          assert.match(res.stderr, message);
          assert.doesNotMatch(res.stderr, /\n\s+at /);
        });
      } finally {
        await empty.cleanup();
      }
    });
  });

  describe('trawl keys --database (PostgreSQL)', () => {
    let schema: TestSchema;
    before(async () => {
      schema = await createTestSchema('tkeyscli');
    });
    after(async () => {
      await schema?.cleanup();
    });

    test('create, revoke and list in PostgreSQL', async () => {
      const db = ['--database', schema.url];
      const created = await runCli([
        'keys',
        'create',
        '--name',
        'pg',
        '--scope',
        'admin',
        '--json',
        ...db,
      ]);
      assert.equal(created.code, 0, created.stderr);
      const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
      assert.match(key, KEY);
      const revoked = await runCli(['keys', 'revoke', id, '--json', ...db]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.notEqual((JSON.parse(revoked.stdout) as { revokedAt: string | null }).revokedAt, null);
      const listed = await runCli(['keys', 'list', '--json', ...db]);
      assert.equal(listed.code, 0, listed.stderr);
      const keys = JSON.parse(listed.stdout) as {
        id: string;
        scopes: string[];
        revokedAt: string | null;
      }[];
      assert.deepEqual(
        keys.map((k) => [k.id, k.scopes, k.revokedAt !== null]),
        [[id, ['admin'], true]],
      );
      assert.ok(!listed.stdout.includes(key.slice(-43)));
    });
  });

  describe('trawl serve bind rule', () => {
    const env = { TRAWL_LOG_LEVEL: 'silent', TRAWL_ALLOW_NO_AUTH: '' };
    const dirs: { path: string; cleanup(): Promise<void> }[] = [];
    after(async () => {
      for (const d of dirs) await d.cleanup();
    });
    const freshDir = async (): Promise<string> => {
      const d = await tempDir('trawl-serve-bind-');
      dirs.push(d);
      return d.path;
    };

    /** Starts `trawl serve`, waits for its "listening" line, stops it with SIGTERM. */
    async function serveUntilListening(args: string[], extraEnv: Record<string, string> = {}) {
      const child = spawnCli(['serve', '--port', '0', ...args], { ...env, ...extraEnv });
      const done = collect(child);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        await until('the listening line', async () => /listening on /.test(stderr), 60_000);
      } finally {
        child.kill('SIGTERM');
      }
      // Its warnings were written before it could see the signal (stderr pipes are synchronous).
      return done;
    }

    test('no key: 0.0.0.0 exits 2 with the refusal unless TRAWL_ALLOW_NO_AUTH; loopback says so', async () => {
      const [refused, loopback, allowed] = await Promise.all([
        freshDir().then((dir) =>
          runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir], env),
        ),
        freshDir().then((dir) => serveUntilListening(['--host', '127.0.0.1', '--data-dir', dir])),
        freshDir().then((dir) =>
          serveUntilListening(['--host', '0.0.0.0', '--data-dir', dir], {
            TRAWL_ALLOW_NO_AUTH: 'true',
          }),
        ),
      ]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stderr,
        /refusing to listen on 0\.0\.0\.0 without API keys: .*trawl keys create.*TRAWL_ALLOW_NO_AUTH=true/,
      );
      assert.doesNotMatch(refused.stderr, /\n\s+at |listening/);

      assert.match(loopback.stderr, /no API key exists: listening on loopback only/);
      assert.equal(loopback.code, 0, `${String(loopback.signal)} ${loopback.stderr}`);

      assert.match(allowed.stderr, /TRAWL_ALLOW_NO_AUTH is set: anyone who reaches 0\.0\.0\.0/);
      assert.equal(allowed.code, 0, `${String(allowed.signal)} ${allowed.stderr}`);
    });

    test('with a key it starts on 0.0.0.0 and warns of nothing', async () => {
      const dir = await freshDir();
      const created = await runCli(['keys', 'create', '--name', 'ops', '--data-dir', dir]);
      assert.equal(created.code, 0, created.stderr);
      const res = await serveUntilListening(['--host', '0.0.0.0', '--data-dir', dir]);
      assert.match(res.stderr, /listening on /);
      assert.doesNotMatch(res.stderr, /no API key/);
      assert.equal(res.code, 0, res.stderr);
    });
  });
});
