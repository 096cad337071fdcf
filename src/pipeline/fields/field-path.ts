/**
 * Dotted field paths (`metadata.description`, `tags.0`) over plain JSON items. Keys that
 * themselves contain a dot cannot be addressed; no handler option needs them so far.
 */
import type { Item } from '../handler.js';

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

/** Splits once; callers on hot paths keep the parts. */
export function splitPath(path: string): string[] {
  return path.split('.');
}

/** The value at `path`, or undefined when any step is missing. */
export function getPath(item: unknown, path: string | readonly string[]): unknown {
  const parts = typeof path === 'string' ? splitPath(path) : path;
  let cur: unknown = item;
  for (const part of parts) {
    if (!isContainer(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** True when `path` names an existing own property (even one holding null). */
export function hasPath(item: unknown, path: string): boolean {
  const parts = splitPath(path);
  const last = parts.pop()!;
  const parent = parts.length === 0 ? item : getPath(item, parts);
  return isContainer(parent) && Object.prototype.hasOwnProperty.call(parent, last);
}

function copyContainer(value: unknown): Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return [...(value as unknown[])];
  return isContainer(value) ? { ...(value as Record<string, unknown>) } : {};
}

/**
 * A copy of `item` with `value` at `path`: every object on the way is copied (never
 * mutated, see Handler.run), missing ones are created.
 */
export function setPath(item: Item, path: string, value: unknown): Item {
  const parts = splitPath(path);
  const root = { ...item };
  let cur: Record<string, unknown> = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    const next = copyContainer(cur[key]) as Record<string, unknown>;
    cur[key] = next;
    cur = next;
  }
  cur[parts[parts.length - 1]!] = value;
  return root;
}

/** A copy of `item` without `path` (the same object when it is absent). */
export function deletePath(item: Item, path: string): Item {
  if (!hasPath(item, path)) return item;
  const parts = splitPath(path);
  const root = { ...item };
  let cur: Record<string, unknown> = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    const next = copyContainer(cur[key]) as Record<string, unknown>;
    cur[key] = next;
    cur = next;
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(cur)) cur.splice(Number(last), 1);
  else delete cur[last];
  return root;
}

/** "Empty" for completeness and `notEmpty` rules: null, undefined, "", [], {}. */
export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}
