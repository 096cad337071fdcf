/** What a route declares about itself in its `config`, read by the app's plugins. */
import type { ErrorFormat } from './plugins/error-handler.js';

/** read: look at jobs and results; write: create and control jobs; admin: everything. */
export type KeyScope = 'read' | 'write' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How errors of this route are rendered. @default 'trawl' */
    errorFormat?: ErrorFormat;
    /** Served without an API key (health, metrics, docs). @default false */
    public?: boolean;
    /** The scope an API key needs. @default 'read' for GET, 'write' otherwise */
    scope?: KeyScope;
  }
}
