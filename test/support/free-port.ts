/**
 * Picks TCP ports on 127.0.0.1 for servers the tests spawn themselves (redis-server, and a
 * Redis Cluster whose bus listens on port + 10000).
 *
 * A probe only says the port was free a moment ago: another process may take it before our
 * server binds. Callers must treat "address in use" at start-up as "pick again".
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Offset of a Redis Cluster node's bus port from its client port (fixed by Redis). */
export const CLUSTER_BUS_OFFSET = 10000;

const LOWEST = 10000;
/** 65535 - CLUSTER_BUS_OFFSET: the highest port whose bus port still exists. */
const HIGHEST = 55535;

/**
 * The first port of the kernel's ephemeral range (outgoing connections' source ports).
 * Staying below it matters for restarts: while a server is down, an outgoing connection
 * could otherwise be handed its port and the restart on the SAME port would fail.
 */
function ephemeralStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 0 ? first : 32768;
  } catch {
    return 32768;
  }
}

/** The range to draw from: below the ephemeral range (port and bus port) when it leaves room. */
function portRange(withBus: boolean): { low: number; high: number } {
  const offset = withBus ? CLUSTER_BUS_OFFSET : 0;
  const high = Math.min(HIGHEST, ephemeralStart() - 1 - offset);
  // If the ephemeral range starts too low to leave a useful range below it, accept overlap.
  return high - LOWEST >= 1000 ? { low: LOWEST, high } : { low: LOWEST, high: HIGHEST };
}

/** True when 127.0.0.1:port can be listened on right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A port on 127.0.0.1 that is free now, drawn at random (so test files running in parallel
 * rarely collide). With `withBus`, port + 10000 is free too, for Redis Cluster.
 * @throws after 200 unlucky draws
 */
export async function freePort(options: { withBus?: boolean } = {}): Promise<number> {
  const withBus = options.withBus ?? false;
  const { low, high } = portRange(withBus);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (!(await isPortFree(port))) continue;
    if (withBus && !(await isPortFree(port + CLUSTER_BUS_OFFSET))) continue;
    return port;
  }
  throw new Error(`no free port found in ${low}-${high}`);
}
