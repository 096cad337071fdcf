/**
 * The extraction fixtures of test/fixtures/pages: real Debian documentation pages and
 * hand-made pages, each with its expected Markdown (`*.expected.md`) and fields
 * (`*.expected.json`) checked in. `TRAWL_UPDATE_FIXTURES=1` rewrites the expected files
 * (review the diff before keeping it).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { repoFile } from '../support/repo-file.js';

export interface FixturePage {
  /** File name without `.html`. */
  name: string;
  /** The URL the page is extracted as (links resolve against it). */
  url: string;
  /** Where a real page came from. */
  source?: string;
}

export const FIXTURE_PAGES: readonly FixturePage[] = [
  {
    name: 'openjdk-runnable',
    url: 'http://docs.example/api/java.base/java/lang/Runnable.html',
    source: 'openjdk-17-doc 17.0.21',
  },
  {
    name: 'libffi-the-basics',
    url: 'http://docs.example/libffi/The-Basics.html',
    source: 'libffi8 3.4.4-1',
  },
  {
    name: 'libffi-closure-example',
    url: 'http://docs.example/libffi/Closure-Example.html',
    source: 'libffi8 3.4.4-1',
  },
  {
    name: 'base-passwd-users-and-groups',
    url: 'http://docs.example/base-passwd/users-and-groups.html',
    source: 'base-passwd 3.6.1',
  },
  {
    name: 'valgrind-quick-start',
    url: 'http://docs.example/valgrind/quick-start.html',
    source: 'valgrind 3.19.0-1',
  },
  { name: 'news-article', url: 'https://gazette.example/news/2024/03/tram-line?ref=home' },
  { name: 'recipe', url: 'https://cuisine.example/recipes/crepes-au-sucre' },
  { name: 'product', url: 'https://shop.example/products/trail-runner-3' },
  { name: 'poi', url: 'https://www.places.example/place/cafe-lumiere' },
];

const dir = (file: string): string => repoFile(`test/fixtures/pages/${file}`);

export function readPage(name: string): string {
  return readFileSync(dir(`${name}.html`), 'utf8');
}

export const updating = process.env.TRAWL_UPDATE_FIXTURES === '1';

/** The checked-in expected content, written first when updating. */
export function expected(file: string, actual: string): string {
  const path = dir(file);
  if (updating || !existsSync(path)) writeFileSync(path, actual);
  return readFileSync(path, 'utf8');
}
