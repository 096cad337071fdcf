/**
 * The Firecrawl-compatible API: the same endpoints under `/v2` and, with v1's field
 * names, under `/v1`, so Firecrawl's SDKs and the integrations built on them (LangChain,
 * Dify, n8n…) work against Trawl. Every route renders errors Firecrawl's way
 * (`{success: false, error, code, details}`) and every success is a 200 with
 * `success: true`. What is supported and refused: docs/firecrawl.md.
 *
 * Needs @fastify/websocket registered on the app before these routes (the watcher).
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app-deps.js';
import { firecrawlJobRoutes } from './job-routes.js';
import { scrapeMapRoutes } from './scrape-map-routes.js';

export function firecrawlRoutes(app: FastifyInstance, deps: AppDeps): void {
  for (const version of ['v2', 'v1'] as const) {
    scrapeMapRoutes(app, deps, version);
    firecrawlJobRoutes(app, deps, version);
  }
}
