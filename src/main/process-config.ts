/** The runtime config of this process: the one place the environment is read. */
import {
  loadRuntimeConfig,
  type RuntimeConfig,
  type RuntimeConfigInput,
} from '../config/runtime-config.js';

/**
 * Flags over the environment over the config file (`file`, or TRAWL_CONFIG) over the
 * defaults.
 */
export function processConfig(file: string | undefined, flags: RuntimeConfigInput): RuntimeConfig {
  return loadRuntimeConfig({ env: process.env, file: file ?? null, flags });
}
