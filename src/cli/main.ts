#!/usr/bin/env node
/** The `trawl` command. Commands are thin: they map flags to specs and call src/main. */
import { Command, CommanderError } from 'commander';
import { registerCrawlCommand } from './commands/crawl.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerExportCommand } from './commands/export.js';
import { registerKeysCommand } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerProcessCommand } from './commands/process.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWorkerCommand } from './commands/worker.js';

/** Error codes that are conditions to report, not bugs to debug. */
const OPERATIONAL = new Set(['job_gone', 'pg_schema_too_new']);

const program = new Command();
program
  .name('trawl')
  .description(
    'Trawl: a fast, crash-proof web crawler. Embedded by default (SQLite, one process); distributed with Redis and PostgreSQL.',
  )
  .version('0.1.0')
  .exitOverride()
  .showHelpAfterError('(run "trawl help <command>" for usage)');
registerCrawlCommand(program);
registerDemoCommand(program);
registerWorkerCommand(program);
registerMigrateCommand(program);
registerExportCommand(program);
registerProcessCommand(program);
registerServeCommand(program);
registerKeysCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; argument errors were already printed by commander.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if ((err as { code?: string }).code === 'usage') {
    process.stderr.write(`trawl: ${(err as Error).message}\n`);
    process.exitCode = 2;
  } else if (OPERATIONAL.has(String((err as { code?: unknown }).code))) {
    // A state of the world the message explains (a job gone from Redis, a database
    // migrated by a newer trawl): no stack trace.
    process.stderr.write(`trawl: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`trawl: fatal: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
