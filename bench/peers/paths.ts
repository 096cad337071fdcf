/**
 * Where the harness's pieces live, whether it runs compiled (dist/bench/peers) or from
 * source under tsx (bench/peers): the peers' own scripts and node_modules always live in
 * the source tree; the TypeScript pieces run from wherever this file runs.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fromSource = existsSync(join(here, 'package.json'));

/** bench/peers in the source tree: package.json, node_modules, systems/. */
export const PEERS_DIR = fromSource ? here : join(here, '..', '..', '..', 'bench', 'peers');

/** The repository root. */
export const REPO_DIR = join(PEERS_DIR, '..', '..');

/** A peer script in bench/peers/systems. */
export function systemScript(name: string): string {
  return join(PEERS_DIR, 'systems', name);
}

/**
 * argv that runs one of our TypeScript entry points (`ceilings/raw-get`,
 * `politeness/multi-host-serve`, or `../../src/cli/main` for Trawl's CLI) with this Node.
 */
export function nodeEntry(relative: string): string[] {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const file = join(here, `${relative}${ext}`);
  return [process.execPath, ...loaderArgs(), file];
}

/**
 * Our own Node flags minus an inline script: `node --import tsx -e '...'` must hand the
 * child `--import tsx`, never the `-e` script (the child would run that script again).
 */
function loaderArgs(): string[] {
  const args: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (['-e', '--eval', '-p', '--print'].includes(a)) i++;
    else if (!/^(--eval|--print)=/.test(a)) args.push(a);
  }
  return args;
}
