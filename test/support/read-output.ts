import { readFile } from 'node:fs/promises';

/** One line of a JSONL export, as a user reads it. */
export interface OutputRow {
  url: string;
  finalUrl: string | null;
  status: number | null;
  title: string | null;
  depth: number;
  contentType: string | null;
  fetchedAt: string;
  error: string | null;
  attempts: number;
  contentHash: string | null;
  etag: string | null;
  lastModified: string | null;
}

export async function readJsonl(path: string): Promise<OutputRow[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as OutputRow);
}
