/**
 * `trawl process`: runs a chain of handlers over JSONL records, stdin to stdout. Exit
 * code 0 when every item passed, 1 when any item failed (a bad line counts), 2 on usage
 * errors (unknown chain, bad pipeline file).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { listText, processRecords, summaryLines } from '../../main/process-records.js';
import { intFlag } from '../options.js';

interface ProcessFlags {
  chain?: string;
  pipeline?: string;
  onError?: 'stop' | 'skip';
  full?: boolean;
  summary?: boolean;
  concurrency: number;
  list?: boolean;
}

export function registerProcessCommand(program: Command): void {
  program
    .command('process')
    .description(
      'run a chain of handlers over JSONL records: trawl process --chain standard < in.jsonl > out.jsonl',
    )
    .option(
      '--chain <name>',
      "predefined chain (see --list); default: the pipeline file's, else standard",
    )
    .option(
      '--pipeline <file>',
      'pipeline file (YAML or JSON): chain or steps, options, user handlers',
    )
    .addOption(
      new Option(
        '--on-error <mode>',
        'after a handler fails: stop the chain or skip the handler',
      ).choices(['stop', 'skip']),
    )
    .option(
      '--full',
      'write the whole chain result per line (logs, stages) instead of item + _pipeline',
    )
    .option('--summary', 'also print per-handler counts and timings to stderr at the end')
    .option('--concurrency <n>', 'items in flight (output keeps input order)', intFlag(1), 16)
    .option('--list', 'list handlers and chains, then exit')
    .action(async (flags: ProcessFlags) => {
      if (flags.list === true) {
        process.stdout.write(await listText(flags.pipeline));
        return;
      }
      const summary = await processRecords({
        ...(flags.chain === undefined ? {} : { chain: flags.chain }),
        ...(flags.pipeline === undefined ? {} : { pipelineFile: flags.pipeline }),
        ...(flags.onError === undefined ? {} : { onError: flags.onError }),
        full: flags.full === true,
        concurrency: flags.concurrency,
        input: process.stdin,
        output: process.stdout,
        stderr: process.stderr,
      });
      process.stderr.write(`${summaryLines(summary, flags.summary === true).join('\n')}\n`);
      process.exitCode = summary.failed > 0 ? 1 : 0;
    });
}
