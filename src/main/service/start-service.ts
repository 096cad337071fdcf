/** `trawl serve`'s start: refuse an unsafe bind, open the service, listen, say where. */
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../../config/runtime-config.js';
import { startGrpcServer } from '../../api/grpc/grpc-server.js';
import { apiKeysExist, openApiKeys } from './api-keys.js';
import { assertBindAllowed, isLoopbackHost, openService, targetPolicy } from './open-service.js';

export interface StartedService {
  url: string;
  mode: 'embedded' | 'distributed';
  /** The gRPC service's port (TRAWL_GRPC_PORT, on apiHost); null when not served. */
  grpcPort: number | null;
  /** Things the operator should know (shown at start). */
  warnings: string[];
  close(): Promise<void>;
}

export async function startService(options: {
  config: RuntimeConfig;
  log: Logger;
}): Promise<StartedService> {
  const { config, log } = options;
  // Asked before the service opens: a refused start must not resume any job first.
  const keysExist = await apiKeysExist(config);
  assertBindAllowed(config, keysExist);
  const warnings: string[] = [];
  if (!keysExist) {
    warnings.push(
      isLoopbackHost(config.apiHost)
        ? 'no API key exists: listening on loopback only, without authentication (create one with `trawl keys create`)'
        : `no API key exists and TRAWL_ALLOW_NO_AUTH is set: anyone who reaches ${config.apiHost} can use this service`,
    );
  }
  const service = await openService({ config, log });
  let closeGrpc = async (): Promise<void> => {};
  try {
    const address = await service.app.listen({ host: config.apiHost, port: config.apiPort });
    // Port 0 (or a wildcard host): links in responses use the address really bound.
    if (config.publicUrl === null) service.settings.publicUrl = address;
    log.info({ url: address, mode: service.jobs.mode }, 'serving');
    let grpcPort: number | null = null;
    if (config.grpcPort !== null) {
      // A key store handle of its own: gRPC calls need a key once one exists, as REST's do.
      const keys = await openApiKeys(config, { log });
      const grpc = await startGrpcServer({
        jobs: service.jobs,
        targets: targetPolicy(config),
        settings: service.settings,
        host: config.apiHost,
        port: config.grpcPort,
        apiKeys: keys.keys,
        log,
      }).catch(async (err: unknown) => {
        await keys.close();
        throw err;
      });
      closeGrpc = async () => {
        await grpc.close();
        await keys.close();
      };
      grpcPort = grpc.port;
      log.info({ host: config.apiHost, port: grpc.port }, 'serving gRPC');
    }
    return {
      url: address,
      mode: service.jobs.mode,
      grpcPort,
      warnings,
      close: async () => {
        await closeGrpc();
        await service.close();
      },
    };
  } catch (err) {
    await closeGrpc();
    await service.close();
    throw err;
  }
}
