/** The pino logger factory: structured logs on stderr, so stdout stays free for data. */
import { pino, type Logger, type Level } from 'pino';

export type { Logger };

export function createLogger(level: Level | 'silent' = 'warn'): Logger {
  return pino({ level, base: { name: 'trawl' } }, pino.destination({ fd: 2, sync: false }));
}
