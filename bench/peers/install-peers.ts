/**
 * Installs what the peer crawlers and the real site need, without touching Trawl's own
 * dependencies: the npm peers into bench/peers/node_modules (from bench/peers/package.json,
 * pinned), and from Debian (when apt-get is there and we are root) Scrapy, nginx and the
 * documentation package served as the real site. Each step may fail on its own; whatever
 * did not install shows up later as a skipped row with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PEERS_DIR } from './paths.js';

export interface InstallStep {
  what: string;
  ok: boolean;
  detail: string;
}

export interface InstallOptions {
  /** Debian packages wanted on top of the npm peers (Scrapy, nginx, the docs package). */
  debianPackages: string[];
  /** Re-run npm install even when node_modules exists. @default false */
  force?: boolean;
}

/** Whether bench/peers/node_modules holds the pinned npm peers. */
export function npmPeersInstalled(): boolean {
  const nm = join(PEERS_DIR, 'node_modules');
  return (
    existsSync(join(nm, '@crawlee', 'cheerio', 'package.json')) &&
    existsSync(join(nm, '@crawlee', 'playwright', 'package.json')) &&
    existsSync(join(nm, 'playwright', 'package.json')) &&
    existsSync(join(nm, '@spider-rs', 'spider-rs', 'package.json')) &&
    existsSync(join(nm, 'entities', 'package.json')) &&
    existsSync(join(nm, 'turndown', 'package.json'))
  );
}

export function installPeers(options: InstallOptions): InstallStep[] {
  const steps: InstallStep[] = [];
  if (options.force || !npmPeersInstalled()) {
    const r = run('npm', ['install', '--no-audit', '--no-fund'], PEERS_DIR);
    steps.push({ what: 'npm install (bench/peers)', ...r });
  } else {
    steps.push({ what: 'npm install (bench/peers)', ok: true, detail: 'already installed' });
  }

  const missing = options.debianPackages.filter((p) => !debianInstalled(p));
  if (missing.length === 0) {
    steps.push({ what: 'apt-get', ok: true, detail: 'nothing to install' });
    return steps;
  }
  if (!existsSync('/usr/bin/apt-get')) {
    steps.push({ what: `apt-get install ${missing.join(' ')}`, ok: false, detail: 'no apt-get' });
    return steps;
  }
  if (process.getuid?.() !== 0) {
    steps.push({
      what: `apt-get install ${missing.join(' ')}`,
      ok: false,
      detail: 'not root: run `sudo apt-get install -y ' + missing.join(' ') + '`',
    });
    return steps;
  }
  const update = run('apt-get', ['update', '-qq'], undefined);
  steps.push({ what: 'apt-get update', ...update });
  // One package at a time, so one that cannot be had does not block the others.
  for (const pkg of missing) {
    const r = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], undefined);
    steps.push({ what: `apt-get install ${pkg}`, ...r });
  }
  return steps;
}

/** Whether dpkg reports the package as installed. */
export function debianInstalled(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && /install ok installed/.test(r.stdout);
}

function run(
  cmd: string,
  args: string[],
  cwd: string | undefined,
): { ok: boolean; detail: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    // playwright (for Crawlee's PlaywrightCrawler, bench/browser) downloads no browser on
    // install since 1.38; the variable makes sure: the benchmark drives Debian's Chromium.
    env: {
      ...process.env,
      DEBIAN_FRONTEND: 'noninteractive',
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
    },
    // A slow mirror must not hang the benchmark forever.
    timeout: 15 * 60_000,
  });
  if (r.error) return { ok: false, detail: r.error.message };
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
  return { ok: r.status === 0, detail: r.status === 0 ? 'ok' : `exit ${r.status}: ${tail}` };
}
