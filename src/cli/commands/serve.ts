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
      // Handlers first: a signal during start-up (or the moment the listening line is out)
      // stops the service cleanly once it is up, never kills it half-open.
      let signalled: NodeJS.Signals | null = null;
      let wake = (): void => {};
      const stopRequested = new Promise<void>((resolve) => (wake = resolve));
      const onSignal = (signal: NodeJS.Signals): void => {
        if (signalled !== null) return; // already stopping
        signalled = signal;
        wake();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        const server = await startService({ config, log });
        // One write: whoever waits for the listening line also gets the warnings with it.
        const lines = [
          `listening on ${server.url} (${server.mode})`,
          ...(server.grpcPort === null ? [] : [`gRPC on port ${server.grpcPort}`]),
          ...server.warnings,
        ];
        process.stderr.write(lines.map((l) => `trawl serve: ${l}\n`).join(''));
        await stopRequested;
        log.info({ signal: signalled }, 'stopping');
        await server.close();
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    });
}
