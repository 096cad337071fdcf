/**
 * A redis-server of the test's own: its own port, its own temp dir, killed and restarted at
 * will, so persistence and failure tests never touch the shared Redis on 6379.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/** Debian's path, as the brief names it; otherwise whatever PATH finds. */
export const REDIS_SERVER_BIN = existsSync('/usr/bin/redis-server')
  ? '/usr/bin/redis-server'
  : 'redis-server';

/** How long a start, restart or stop may take before it is reported as failed. */
const DEADLINE_MS = 10_000;
/** Pause between readiness probes. */
const POLL_MS = 20;
/** Attempts at a start on a randomly drawn port that another process took first. */
const PORT_ATTEMPTS = 5;

export interface RedisServerOptions {
  /** Turn on the append-only file. @default false */
  appendonly?: boolean;
  /** When the AOF is fsynced; 'always' makes every acknowledged write survive kill -9. @default 'everysec' */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** RDB snapshot rule, as in redis.conf ("900 1"); '' turns snapshots off. @default '' */
  save?: string;
  /** TCP port on 127.0.0.1. @default a free port below the ephemeral range (port + 10000 free too) */
  port?: number;
  /** More `--name value` arguments, after (so overriding) the ones above. */
  extraArgs?: string[];
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** 'redis://127.0.0.1:PORT', for ioredis. */
  readonly url: string;
  /** The server's working dir: AOF, RDB, nodes.conf and redis.log live here. */
  readonly dir: string;
  /** The current process's pid; a restart changes it; undefined while stopped. */
  readonly pid: number | undefined;
  /** Sends `signal` and waits until the process has exited. No-op when not running. @default 'SIGKILL' */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Graceful stop, waiting for the exit: SIGTERM (Redis flushes the AOF, and writes an RDB
   * only if `save` is set), then SIGKILL after 10 s. No-op when not running.
   */
  stop(): Promise<void>;
  /** Starts again with the same port, dir and options (stopping first if running); resolves once it answers and has loaded its data. */
  restart(): Promise<void>;
  /** Stops if running and removes the dir. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** Servers not yet cleaned up, so a test that forgets cleanup leaves no orphan behind. */
const live = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL and rmSync are.
  process.on('exit', () => {
    for (const { child, dir } of live) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * Starts a fresh redis-server on 127.0.0.1 in a new temp dir and resolves once it answers
 * PING and has finished loading.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (options.port === 6379) throw new Error('port 6379 is the shared Redis: pick another');
  const dir = await mkdtemp(join(tmpdir(), 'trawl-redis-'));
  try {
    for (let attempt = 1; ; attempt++) {
      // withBus: harmless for a standalone server, required when extraArgs enable cluster mode.
      const port = options.port ?? (await freePort({ withBus: true }));
      const server = new SpawnedRedis(port, dir, options);
      try {
        await server.start();
        return server;
      } catch (error) {
        // The port probe races with other processes; draw again only for a port we drew.
        const retry = options.port === undefined && attempt < PORT_ATTEMPTS;
        if (!(retry && error instanceof PortInUseError)) throw error;
        // So the next attempt's failure is not judged by this one's log lines.
        await rm(join(dir, 'redis.log'), { force: true });
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

class PortInUseError extends Error {}

class SpawnedRedis implements RedisServer {
  readonly host = '127.0.0.1';
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private entry: { child: ChildProcess; dir: string } | undefined;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {
    this.url = `redis://${this.host}:${port}`;
  }

  get pid(): number | undefined {
    return this.running() ? this.child?.pid : undefined;
  }

  private get logfile(): string {
    return join(this.dir, 'redis.log');
  }

  private args(): string[] {
    const o = this.options;
    return [
      ...['--port', String(this.port), '--bind', this.host, '--protected-mode', 'no'],
      ...['--daemonize', 'no', '--dir', this.dir, '--logfile', this.logfile],
      ...[
        '--appendonly',
        o.appendonly ? 'yes' : 'no',
        '--appendfsync',
        o.appendfsync ?? 'everysec',
      ],
      ...['--save', o.save ?? ''],
      ...(o.extraArgs ?? []),
    ];
  }

  /** Spawns the process and waits for readiness; on failure the process is gone again. */
  async start(): Promise<void> {
    installExitHook();
    const child = spawn(REDIS_SERVER_BIN, this.args(), { stdio: 'ignore' });
    // Unref'd so a forgotten server cannot keep the test process alive (the exit hook
    // kills it); every wait below holds a timer, which keeps the loop alive meanwhile.
    child.unref();
    this.child = child;
    this.entry = { child, dir: this.dir };
    live.add(this.entry);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    // 'on', not 'once': a later 'error' (a failed kill) must not go unhandled either.
    const spawnFailed = new Promise<never>((_, reject) => child.on('error', reject));
    try {
      await Promise.race([this.waitReady(), spawnFailed]);
    } catch (error) {
      await this.kill('SIGKILL');
      throw error;
    }
  }

  private running(): boolean {
    const c = this.child;
    // A spawn that failed (ENOENT) has no pid and never emits 'exit'.
    return c?.pid !== undefined && c.exitCode === null && c.signalCode === null;
  }

  /** Polls until PING answers PONG and INFO says the AOF/RDB is loaded, or the deadline passes. */
  private async waitReady(): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.running()) {
        const log = await this.logTail();
        const Err = /Address already in use/.test(log) ? PortInUseError : Error;
        throw new Err(`redis-server on port ${this.port} exited during start-up:\n${log}`);
      }
      try {
        // A server still loading answers PING with -LOADING, which throws here.
        if ((await redisCommand(this.port, ['PING'])) === 'PONG') {
          const info = await redisCommand(this.port, ['INFO', 'server', 'persistence']);
          // Whoever answers must be OUR process: until a server that failed to bind has
          // exited, another one already on the port (the shared Redis) would answer.
          const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
          if (pid !== this.child?.pid) last = `port ${this.port} is answered by pid ${pid}`;
          else if (/^loading:0\r?$/m.test(info)) return;
          else last = 'still loading';
        }
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(POLL_MS);
    }
    throw new Error(
      `redis-server on port ${this.port} not ready after ${DEADLINE_MS} ms (${last})`,
    );
  }

  private async logTail(): Promise<string> {
    const text = await readFile(this.logfile, 'utf8').catch(() => '(no log)');
    return text.split('\n').slice(-15).join('\n');
  }

  /** True once the process has exited; false if it outlives the deadline (e.g. after SIGSTOP). */
  private async waitExit(timeoutMs = DEADLINE_MS): Promise<boolean> {
    const ac = new AbortController();
    const timer = sleep(timeoutMs, false, { signal: ac.signal }).catch(() => false);
    const done = await Promise.race([this.exited.then(() => true), timer]);
    ac.abort();
    return done;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running()) return;
    this.child?.kill(signal);
    if (!(await this.waitExit())) {
      throw new Error(`redis-server pid ${this.child?.pid} did not exit on ${signal}`);
    }
  }

  async stop(): Promise<void> {
    if (!this.running()) return;
    this.child?.kill('SIGTERM');
    if (!(await this.waitExit())) await this.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    if (this.entry) live.delete(this.entry);
    await this.start();
  }

  async cleanup(): Promise<void> {
    await this.stop();
    if (this.entry) live.delete(this.entry);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Sends one command over a fresh socket and returns its reply as a string (simple, bulk or
 * integer replies only); an error reply rejects. The socket is always destroyed, so no
 * client outlives the call. Meant for probes, not for the code under test.
 */
export function redisCommand(
  port: number,
  args: string[],
  { host = '127.0.0.1', timeoutMs = 1000 }: { host?: string; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const finish = (error: Error | undefined, value?: string): void => {
      if (settled) return;
      settled = true;
      // destroy() emits 'close' next, which the guard above turns into a no-op.
      socket.destroy();
      if (error) reject(error);
      else resolve(value ?? '');
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`redis ${host}:${port}: timed out`)));
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error(`redis ${host}:${port}: closed before replying`)));
    const chunks: Buffer[] = [];
    let received = 0;
    let needed = 0; // bytes the reply is known to need; skips re-parsing a big bulk reply
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < needed) return;
      try {
        const reply = parseReply(Buffer.concat(chunks, received));
        if (typeof reply === 'string') finish(undefined, reply);
        else needed = reply.needed;
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.write(encodeCommand(args));
  });
}

function encodeCommand(args: string[]): string {
  const parts = args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return `*${args.length}\r\n${parts.join('')}`;
}

/** One RESP2 reply from the buffer's start, or how many bytes it needs while incomplete. */
function parseReply(buffer: Buffer): string | { needed: number } {
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd < 0) return { needed: buffer.length + 1 };
  const line = buffer.subarray(1, lineEnd).toString();
  switch (String.fromCharCode(buffer[0] ?? 0)) {
    case '+':
    case ':':
      return line;
    case '-':
      throw new Error(line);
    case '$': {
      const length = Number(line);
      if (length < 0) return '';
      const start = lineEnd + 2;
      if (buffer.length < start + length + 2) return { needed: start + length + 2 };
      return buffer.subarray(start, start + length).toString();
    }
    default:
      throw new Error(`unsupported RESP reply: ${line.slice(0, 40)}`);
  }
}
