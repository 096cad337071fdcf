/** `trawl migrate`: applies the PostgreSQL migrations (idempotent; workers run them on start too). */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { migratePostgres } from '../../backends/postgres/migrate.js';
import { createPgPool } from '../../backends/postgres/pg-pool.js';
import { processConfig } from '../../main/process-config.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply the PostgreSQL migrations of the distributed mode')
    .option('--database <url>', 'PostgreSQL: postgres://user@host/db (or TRAWL_DATABASE_URL)')
    .option('--config <file>', 'JSON file of runtime settings')
    .action(async (flags: { database?: string; config?: string }) => {
      const config = processConfig(flags.config, { databaseUrl: flags.database });
      if (config.databaseUrl === null) {
        throw new UsageError('trawl migrate needs --database (or TRAWL_DATABASE_URL)');
      }
      const pool = createPgPool({
        url: config.databaseUrl,
        max: 1,
        applicationName: 'trawl-migrate',
      });
      try {
        const { applied } = await migratePostgres(pool);
        process.stdout.write(
          applied.length === 0
            ? 'PostgreSQL schema is up to date.\n'
            : `Applied migrations ${applied.join(', ')}.\n`,
        );
      } catch (err) {
        throw new UsageError(`cannot migrate PostgreSQL: ${(err as Error).message}`, {
          cause: err,
        });
      } finally {
        await pool.end();
      }
    });
}
