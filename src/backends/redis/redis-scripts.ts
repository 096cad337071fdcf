/**
 * The Redis backend's atomic steps: one Lua file per step in ./scripts, each opening
 * with a header that lists its KEYS, ARGV and return value. Files are read once, their
 * `--@include lib/<name>` lines expanded (shared helpers, key builders), and registered
 * on a connection with ioredis `defineCommand`, which calls them by SHA (EVALSHA) and
 * falls back to EVAL once when the server answers NOSCRIPT (after a restart or a
 * SCRIPT FLUSH), so a script is sent in full only when the server does not have it.
 *
 * The number of KEYS a script takes is read from its header (`KEYS[n]` lines), so the
 * header is the single source of truth and cannot drift from the call sites' shape.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

export interface LuaScript {
  /** File name without `.lua`, e.g. "lease". Also the ioredis command name. */
  name: string;
  /** The script with its includes expanded. */
  lua: string;
  /** How many KEYS the script takes (from its header); null: any number (`KEYS[1..N]`). */
  numberOfKeys: number | null;
}

const SCRIPTS_DIR = fileURLToPath(new URL('./scripts/', import.meta.url));
const INCLUDE = /^--@include\s+(\S+)\s*$/gm;

let cache: Map<string, LuaScript> | null = null;

/** Every script in ./scripts (not lib/), read and expanded once per process. */
export function luaScripts(): Map<string, LuaScript> {
  if (cache !== null) return cache;
  const scripts = new Map<string, LuaScript>();
  for (const file of readdirSync(SCRIPTS_DIR)) {
    if (!file.endsWith('.lua')) continue;
    const name = file.slice(0, -'.lua'.length);
    const source = readFileSync(SCRIPTS_DIR + file, 'utf8');
    scripts.set(name, {
      name,
      lua: expandIncludes(source, new Set([file])),
      numberOfKeys: keysInHeader(name, source),
    });
  }
  cache = scripts;
  return scripts;
}

/** The script called `name`; throws when there is no such file (a programming error). */
export function luaScript(name: string): LuaScript {
  const script = luaScripts().get(name);
  if (script === undefined) throw new Error(`no Redis script ${name}.lua in ${SCRIPTS_DIR}`);
  return script;
}

/**
 * Registers every script as a command on `redis` (idempotent per connection).
 * Call it once after creating a client; commands are then `redis[name](...keys, ...argv)`.
 */
export function defineScripts(redis: Redis | Cluster): void {
  for (const script of luaScripts().values()) {
    if (typeof (redis as unknown as Record<string, unknown>)[script.name] === 'function') continue;
    redis.defineCommand(script.name, {
      lua: script.lua,
      ...(script.numberOfKeys === null ? {} : { numberOfKeys: script.numberOfKeys }),
    });
  }
}

/**
 * Calls a script registered by defineScripts. ioredis adds defined commands at run time,
 * so their types cannot be declared statically; this is the one typed entry point.
 */
export function callScript(
  redis: Redis | Cluster,
  name: string,
  keys: readonly (string | Buffer)[],
  args: readonly (string | number | Buffer)[],
): Promise<unknown> {
  const fn = (redis as unknown as Record<string, unknown>)[name];
  if (typeof fn !== 'function') {
    throw new Error(`Redis script ${name} is not defined on this connection (call defineScripts)`);
  }
  const script = luaScript(name);
  if (script.numberOfKeys === null) {
    // Variadic: ioredis then takes the key count as the first argument.
    if (keys.length === 0) throw new Error(`${name}.lua needs at least one key`);
    return (fn as (...a: unknown[]) => Promise<unknown>).call(redis, keys.length, ...keys, ...args);
  }
  if (keys.length !== script.numberOfKeys) {
    throw new Error(`${name}.lua takes ${script.numberOfKeys} keys, got ${keys.length}`);
  }
  return (fn as (...a: unknown[]) => Promise<unknown>).call(redis, ...keys, ...args);
}

function expandIncludes(source: string, seen: Set<string>): string {
  return source.replace(INCLUDE, (_line, include: string) => {
    const file = include.endsWith('.lua') ? include : `${include}.lua`;
    if (seen.has(file)) return `-- (${file} already included)`;
    seen.add(file);
    const text = readFileSync(SCRIPTS_DIR + file, 'utf8');
    return `-- begin ${file}\n${expandIncludes(text, seen)}\n-- end ${file}`;
  });
}

/**
 * The highest n of the `KEYS[n]` lines in the script's leading comment block, or null
 * when it takes any number (a `KEYS[1..N]` line).
 */
function keysInHeader(name: string, source: string): number | null {
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(source);
  if (header === null) throw new Error(`${name}.lua must open with a --[[ header ]] block`);
  if (/KEYS\[1\.\.N\]/.test(header[1]!)) return null;
  let max = 0;
  for (const m of header[1]!.matchAll(/KEYS\[(\d+)\]/g)) max = Math.max(max, Number(m[1]));
  return max;
}
