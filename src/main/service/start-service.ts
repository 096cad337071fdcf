/** `trawl serve`'s start: refuse an unsafe bind, open the service, listen, say where. */
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../../config/runtime-config.js';
import { assertBindAllowed, isLoopbackHost, openService } from './open-service.js';

export interface StartedService {
  url: string;
  mode: 'embedded' | 'distributed';
  /** Things the operator should know (shown at start). */
  warnings: string[];
  close(): Promise<void>;
}

export async function startService(options: {
  config: RuntimeConfig;
  log: Logger;
}): Promise<StartedService> {
  const { config, log } = options;
  const keysExist = false;
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
  try {
    const address = await service.app.listen({ host: config.apiHost, port: config.apiPort });
    log.info({ url: address, mode: service.jobs.mode }, 'serving');
    return {
      url: address,
      mode: service.jobs.mode,
      warnings,
      close: () => service.close(),
    };
  } catch (err) {
    await service.close();
    throw err;
  }
}
