/**
 * `trawl keys create|list|revoke`: the API keys of `trawl serve`, where the service keeps
 * them (embedded: `<data-dir>/service.db`; distributed: PostgreSQL). A key is printed once,
 * at creation, and cannot be shown again: only a hash of its secret is stored. A running
 * server sees a new key within seconds and stops accepting a revoked one within its key
 * cache TTL (TRAWL_API_KEY_CACHE_MS, 10 s by default).
 */
import type { Command } from 'commander';
import { parseKeyName, parseScopes, type ApiKeyInfo } from '../../auth/api-key-store.js';
import { UsageError } from '../../core/errors.js';
import { processConfig } from '../../main/process-config.js';
import { openApiKeys, type OpenApiKeysOptions } from '../../main/service/api-keys.js';
import { collect } from '../options.js';

interface StoreFlags {
  dataDir?: string;
  database?: string;
  config?: string;
  json?: boolean;
}

function storeOptions(command: Command): Command {
  return command
    .option(
      '--data-dir <dir>',
      'embedded mode: the data dir of `trawl serve` (default ./trawl-data)',
    )
    .option('--database <url>', 'distributed mode: PostgreSQL (or TRAWL_DATABASE_URL)')
    .option('--config <file>', 'JSON file of runtime settings (see README)')
    .option('--json', 'print JSON (for scripts)');
}

async function withKeys<T>(
  flags: StoreFlags,
  options: OpenApiKeysOptions,
  work: (opened: Awaited<ReturnType<typeof openApiKeys>>, cacheMs: number) => Promise<T>,
): Promise<T> {
  const config = processConfig(flags.config, {
    dataDir: flags.dataDir,
    databaseUrl: flags.database,
  });
  const opened = await openApiKeys(config, options);
  try {
    return await work(opened, config.apiKeyCacheMs);
  } finally {
    await opened.close();
  }
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function keyJson(key: ApiKeyInfo): Record<string, unknown> {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    createdAt: iso(key.createdAt),
    lastUsedAt: iso(key.lastUsedAt),
    revokedAt: iso(key.revokedAt),
  };
}

function out(text: string): void {
  process.stdout.write(text);
}

export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description('create, list and revoke the API keys of trawl serve');

  storeOptions(
    keys
      .command('create')
      .description('create an API key (printed once: it cannot be shown again)')
      .requiredOption('--name <name>', 'what the key is for (shown by trawl keys list)')
      .option(
        '--scope <scope>',
        'read, write or admin (repeatable; admin implies write implies read) (default: write)',
        collect,
      ),
  ).action(async (flags: StoreFlags & { name: string; scope?: string[] }) => {
    // Checked before any storage is opened, with the flag named.
    const name = parseKeyName(flags.name, '--name');
    const scopes = parseScopes(
      (flags.scope ?? ['write']).flatMap((s) => s.split(',')).map((s) => s.trim()),
      '--scope',
    );
    await withKeys(flags, {}, async ({ keys: store, location }) => {
      const created = await store.create({ name, scopes });
      if (flags.json === true) {
        out(
          `${JSON.stringify({ ...keyJson(created.record), key: created.key, webhookSecret: created.webhookSecret })}\n`,
        );
        return;
      }
      out(
        [
          `Created API key ${created.record.id} "${created.record.name}" (scopes: ${created.record.scopes.join(', ')}) in ${location}.`,
          '',
          `  API key:        ${created.key}`,
          `  Webhook secret: ${created.webhookSecret}`,
          '',
          'Store both now: they cannot be shown again (only a hash of the key is kept).',
          'Clients send the key as the header: Authorization: Bearer <key>',
          '',
        ].join('\n'),
      );
    });
  });

  storeOptions(keys.command('list').description('list the API keys (never their secrets)')).action(
    async (flags: StoreFlags) => {
      await withKeys(flags, { create: false }, async ({ keys: store }) => {
        const all = await store.list();
        if (flags.json === true) {
          out(`${JSON.stringify(all.map(keyJson))}\n`);
          return;
        }
        if (all.length === 0) {
          out('No API keys (create one with: trawl keys create --name NAME).\n');
          return;
        }
        const rows = [
          ['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'REVOKED'],
          ...all.map((k) => [
            k.id,
            k.name,
            k.scopes.join(','),
            iso(k.createdAt) ?? '-',
            iso(k.lastUsedAt) ?? '-',
            iso(k.revokedAt) ?? '-',
          ]),
        ];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const row of rows) {
          out(
            `${row
              .map((cell, i) => cell.padEnd(widths[i]!))
              .join('  ')
              .trimEnd()}\n`,
          );
        }
      });
    },
  );

  storeOptions(
    keys
      .command('revoke')
      .description('revoke an API key: servers refuse it within their key cache TTL')
      .argument('<id>', 'the key id (trawl keys list shows them)'),
  ).action(async (id: string, flags: StoreFlags) => {
    await withKeys(flags, { create: false }, async ({ keys: store }, cacheMs) => {
      const before = (await store.list()).find((k) => k.id === id);
      if (before === undefined) {
        throw new UsageError(
          `no API key with id ${JSON.stringify(id)} (trawl keys list shows them)`,
        );
      }
      const revoked = await store.revoke(id);
      if (revoked === null) throw new UsageError(`no API key with id ${JSON.stringify(id)}`);
      if (flags.json === true) {
        out(`${JSON.stringify(keyJson(revoked))}\n`);
      } else if (before.revokedAt !== null) {
        out(`API key ${id} "${revoked.name}" was already revoked (${iso(before.revokedAt)}).\n`);
      } else {
        out(
          `Revoked API key ${id} "${revoked.name}": running servers refuse it within ${Math.ceil(cacheMs / 1000)} s (their apiKeyCacheMs).\n`,
        );
      }
    });
  });
}
