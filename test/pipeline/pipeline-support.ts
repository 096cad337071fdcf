/** Helpers of the pipeline tests: one handler through a real chain, and `trawl process` spawned. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildChain, type ChainResult, type StepSpec } from '../../src/pipeline/chain.js';
import type { Handler, Item } from '../../src/pipeline/handler.js';

/** Runs `items` through a one-step chain of `handler` with `options` and closes it. */
export async function runOne(
  handler: Handler,
  options: unknown,
  ...items: Item[]
): Promise<ChainResult[]> {
  const chain = await buildChain([{ handler, options } as StepSpec]);
  try {
    const results: ChainResult[] = [];
    for (const item of items) results.push(await chain.runItem(item));
    return results;
  } finally {
    await chain.close();
  }
}

/** The single output item of one run, failing loudly when the handler failed. */
export async function output(handler: Handler, options: unknown, item: Item): Promise<Item> {
  const [r] = await runOne(handler, options, item);
  if (!r!.ok || r!.item === null)
    throw new Error(`expected success, got ${JSON.stringify(r!.errors)}`);
  return r!.item;
}

const compiled = import.meta.url.endsWith('.js');
const entry = fileURLToPath(
  new URL(compiled ? '../../src/cli/main.js' : '../../src/cli/main.ts', import.meta.url),
);
const nodeArgs = compiled ? [entry] : ['--import', 'tsx', entry];

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns `trawl process …` with `input` on stdin: a string, or a generator of lines
 * written with back-pressure (so large inputs stream instead of sitting in one buffer).
 */
export function runProcess(
  args: string[],
  input: string | Iterable<string>,
  cwd?: string,
): Promise<ProcessRun> {
  const child = spawn(process.execPath, [...nodeArgs, 'process', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(cwd === undefined ? {} : { cwd }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<ProcessRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  child.stdin.on('error', () => undefined); // the CLI may exit before reading (usage errors)
  void (async () => {
    if (typeof input === 'string') child.stdin.end(input);
    else {
      for (const line of input) {
        if (!child.stdin.write(line)) await new Promise((r) => child.stdin.once('drain', r));
      }
      child.stdin.end();
    }
  })();
  return done;
}

/** stdout as parsed JSON lines. */
export function jsonLines(stdout: string): Item[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Item);
}
