/**
 * The real website the peer benchmark crawls: a documentation set that a Debian package
 * installs as static HTML, served by nginx on loopback (see nginx-site.ts).
 *
 * The default, openjdk-17-doc (the Java 17 API reference, javadoc), has ~10,100 HTML
 * pages of 12 KB median (90th percentile 47 KB, a few index pages of several MB), densely
 * linked, which is the size and kind of site the targets were measured on.
 * libstdc++-12-doc (Doxygen, ~3,900 pages) is a smaller alternative for quick runs.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface DocsSite {
  /** Short name used on the command line (`--real-doc`). */
  id: string;
  /** The Debian package that installs it. */
  debianPackage: string;
  /** Directory served as the web root. */
  root: string;
  /** The page every crawler starts from (a path under the root, with leading slash). */
  startPath: string;
}

export const DOCS_SITES: Record<string, DocsSite> = {
  'openjdk-17-doc': {
    id: 'openjdk-17-doc',
    debianPackage: 'openjdk-17-doc',
    root: '/usr/share/doc/openjdk-17-jre-headless/api',
    startPath: '/index.html',
  },
  'libstdc++-12-doc': {
    id: 'libstdc++-12-doc',
    debianPackage: 'libstdc++-12-doc',
    root: '/usr/share/doc/gcc-12-base/libstdc++',
    startPath: '/index.html',
  },
};

/** @default 'openjdk-17-doc' */
export const DEFAULT_DOCS_SITE = 'openjdk-17-doc';

/** Why the site cannot be served here, or null when its start page is installed. */
export function docsSiteMissing(site: DocsSite): string | null {
  if (!existsSync(join(site.root, site.startPath))) {
    return `${join(site.root, site.startPath)} is missing (apt-get install ${site.debianPackage})`;
  }
  return null;
}

/** HTML files under the site's root: an upper bound on what a crawl from the start reaches. */
export function countHtmlFiles(site: DocsSite): number {
  let n = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.html?$/.test(entry.name) && (entry.isFile() || statSync(path).isFile())) n++;
    }
  };
  walk(site.root);
  return n;
}
