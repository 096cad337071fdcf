/**
 * The gRPC contract, loaded at run time from the `.proto` the package ships
 * (`proto/trawl.proto`, listed in package.json `files`), so clients in any language use
 * the very file the server serves. Found from this module upwards (it runs from `src/`
 * under tsx and from `dist/src/` when built): the first directory holding both a
 * package.json and proto/trawl.proto.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/** Fully qualified name of the service in the proto. */
export const CRAWLER_SERVICE = 'trawl.v1.Crawler';

/**
 * How the server reads and writes messages: snake_case fields as in the proto (and the
 * REST status record), enums as their names, 64-bit counts as numbers (exact below
 * 2^53), unset proto3 `optional` fields absent so "not given" differs from 0.
 */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** The absolute path of proto/trawl.proto in the installed package or the checkout. */
export function crawlerProtoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto', 'trawl.proto');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error('proto/trawl.proto not found above the gRPC module');
    dir = up;
  }
}

/** The Crawler service's definition, for grpc.Server#addService. */
export function loadCrawlerService(): ServiceDefinition {
  const definition = loadSync(crawlerProtoPath(), PROTO_LOADER_OPTIONS);
  return definition[CRAWLER_SERVICE] as ServiceDefinition;
}
