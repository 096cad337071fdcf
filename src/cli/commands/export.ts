/**
 * `trawl export [data-dir] --out FILE`: re-exports a finished crawl, from an embedded
 * data dir or (with --database / TRAWL_DATABASE_URL) a distributed job.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../../core/errors.js';
import { exportCrawl, type ExportSource } from '../../main/export-crawl.js';
import { processConfig } from '../../main/process-config.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../storage/export/record-writer.js';
import { collect, exportFormat } from '../options.js';

interface ExportFlags {
  out: string;
  format?: ExportFormat;
  database?: string;
  job?: string;
  fields?: string;
  rename?: string[];
  config?: string;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('write the pages of a finished crawl to a file (from a data dir or a job)')
    .argument('[data-dir]', 'embedded crawl: its data dir (default ./trawl-data)')
    .requiredOption('-o, --out <file>', 'the file to write')
    .addOption(
      new Option(
        '--format <format>',
        'output format (default: from --out extension, else jsonl)',
      ).choices(EXPORT_FORMATS),
    )
    .option('--database <url>', 'distributed crawl: PostgreSQL (or TRAWL_DATABASE_URL)')
    .option('--job <id>', 'distributed crawl: the job id (omit it to list the jobs)')
    .option('--fields <list>', 'comma-separated fields, in order (e.g. url,status,headers.server)')
    .option('--rename <field=name>', 'write FIELD under NAME (repeatable)', collect)
    .option('--config <file>', 'JSON file of runtime settings')
    .action(async (dataDir: string | undefined, flags: ExportFlags) => {
      const config = processConfig(flags.config, { databaseUrl: flags.database });
      let source: ExportSource;
      if (dataDir !== undefined) {
        if (flags.database !== undefined || flags.job !== undefined) {
          throw new UsageError('give a data dir or --database/--job, not both');
        }
        source = { dataDir };
      } else if (config.databaseUrl !== null) {
        source = { databaseUrl: config.databaseUrl, jobId: flags.job ?? null };
      } else {
        if (flags.job !== undefined)
          throw new UsageError('--job needs --database (or TRAWL_DATABASE_URL)');
        source = { dataDir: config.dataDir };
      }
      const result = await exportCrawl({
        source,
        format: exportFormat(flags.format, flags.out),
        out: flags.out,
        fields: flags.fields?.split(',').map((f) => f.trim()),
        rename: flags.rename === undefined ? undefined : renames(flags.rename),
      });
      process.stderr.write(
        `exported ${result.exported} pages from ${result.from} to ${flags.out} (${result.bytes} bytes)\n`,
      );
    });
}

function renames(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) {
      throw new UsageError(`--rename takes FIELD=NAME, got "${pair}"`);
    }
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
