/**
 * `trawl serve`: the REST API (Trawl's jobs API, the Firecrawl-compatible API, the S1 seed
 * endpoints) on the embedded default, or scheduling for `trawl worker` processes when
 * Redis and PostgreSQL are configured. Stops gracefully on SIGTERM/SIGINT: running
 * embedded jobs hand their work back and resume at the next start.
 */
import type { Command } from 'commander';
import { createLogger } from '../../log/logger.js';
import { processConfig } from '../../main/process-config.js';
import { startService } from '../../main/service/start-service.js';
import { intFlag } from '../options.js';

interface ServeFlags {
  port?: number;
  host?: string;
  config?: string;
  dataDir?: string;
  redis?: string;
  database?: string;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the crawl API (embedded, or scheduling for trawl worker processes)')
    .option('-p, --port <port>', 'port (default 3000, or TRAWL_API_PORT)', intFlag(0))
    .option('--host <host>', 'interface (default 127.0.0.1, or TRAWL_API_HOST)')
    .option(
      '--data-dir <dir>',
      'embedded mode: where jobs and keys are kept (default ./trawl-data)',
    )
    .option('--redis <url>', 'distributed mode: Redis (or TRAWL_REDIS_URL)')
    .option('--database <url>', 'distributed mode: PostgreSQL (or TRAWL_DATABASE_URL)')
    .option('--config <file>', 'JSON file of runtime settings (see README)')
    .action(async (flags: ServeFlags) => {
      const config = processConfig(flags.config, {
        apiPort: flags.port,
        apiHost: flags.host,
        dataDir: flags.dataDir,
        redisUrl: flags.redis,
        databaseUrl: flags.database,
      });
      const log = createLogger(config.logLevel);
      const server = await startService({ config, log });
      process.stderr.write(`trawl serve: listening on ${server.url} (${server.mode})\n`);
      for (const warning of server.warnings) process.stderr.write(`trawl serve: ${warning}\n`);
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          log.info({ signal }, 'stopping');
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          void server.close().then(resolve);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });
}
