/**
 * The pino logger factory: structured logs on stderr, so stdout stays free for data.
 * Written synchronously: the hot path logs little (warn by default), and an asynchronous
 * destination loses the last lines when a command ends or a worker exits on a signal.
 */
import { pino, type Logger, type Level } from 'pino';

export type { Logger };

export function createLogger(level: Level | 'silent' = 'warn'): Logger {
  return pino({ level, base: { name: 'trawl' } }, pino.destination({ fd: 2, sync: true }));
}
