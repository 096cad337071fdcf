/**
 * Reads an HTML fixture of this folder. Compiled tests run from dist/, where the .html
 * files are not copied: then they are read from the source tree.
 */
import { existsSync, readFileSync } from 'node:fs';

export function readFixture(name: string): string {
  const here = new URL(name, import.meta.url);
  const file = existsSync(here)
    ? here
    : new URL(`../../../../test/support/html-fixtures/${name}`, import.meta.url);
  return readFileSync(file, 'utf8');
}
