/** Strict parsers for numeric flags: "12abc" or "-1" are usage errors, not NaN surprises. */
import { InvalidArgumentError } from 'commander';
import { formatFromPath, type ExportFormat } from '../storage/export/record-writer.js';

export function intFlag(min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
    const n = Number(value);
    if (n < min) throw new InvalidArgumentError(`must be at least ${min}`);
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function floatFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new InvalidArgumentError(`expected a number, got "${value}"`);
  }
  return n;
}

/** `--format`, else the format the `--out` file's extension names, else JSONL. */
export function exportFormat(
  format: ExportFormat | undefined,
  out: string | undefined,
): ExportFormat {
  return format ?? (out === undefined ? null : formatFromPath(out)) ?? 'jsonl';
}
