/**
 * A TCP proxy the test owns, placed between the code under test and PostgreSQL or Redis,
 * so a test can cut the network (and mend it) without touching the shared server.
 */
import { once } from 'node:events';
import net from 'node:net';

export interface TcpProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Address to listen on; the port is always a free one the OS picks. @default '127.0.0.1' */
  listenHost?: string;
}

export interface TcpProxy {
  /** Where clients should connect instead of the target. */
  readonly host: string;
  readonly port: number;
  /**
   * Simulates a network cut: resets every open connection on both sides and resets each new
   * one as soon as it is accepted, until restore(). The port stays reserved throughout.
   */
  cut(): void;
  /** Lets new connections through again (connections reset by cut() stay gone). */
  restore(): void;
  /** Resets every connection and stops listening. */
  close(): Promise<void>;
  /** Client connections currently open through the proxy. */
  connections(): number;
}

/** One client connection and its upstream twin. */
interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/** Starts the proxy on a free port of `listenHost` and resolves once it is listening. */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const { targetHost, targetPort, listenHost = '127.0.0.1' } = options;
  const pairs = new Set<Pair>();
  let isCut = false;

  // allowHalfOpen: a FIN from one side is passed on by pipe() rather than closing the
  // other direction early, so replies in flight still arrive.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    if (isCut) {
      abort(client);
      return;
    }
    const upstream = net.connect({ host: targetHost, port: targetPort, allowHalfOpen: true });
    const pair = { client, upstream };
    pairs.add(pair);
    // An error on either side (ECONNRESET, ECONNREFUSED upstream, ...) resets both, and is
    // handled here so it never becomes an uncaught 'error' event. An orderly close is not
    // an error: pipe() forwards the FIN, and resetting then could drop a last reply still
    // in the send buffer (Redis's QUIT answer, PostgreSQL's FATAL message).
    const drop = (): void => {
      pairs.delete(pair);
      abort(client);
      abort(upstream);
    };
    client.on('error', drop).on('close', () => {
      pairs.delete(pair);
      upstream.end();
    });
    upstream.on('error', drop).on('close', () => client.end());
    // pipe() pauses the source while the destination's buffer is full: that is the backpressure.
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.on('error', () => {
    // Accept errors (e.g. EMFILE) must not crash the test; the client just sees no answer.
  });
  server.listen(0, listenHost);
  await once(server, 'listening');
  const address = server.address() as net.AddressInfo;

  const resetAll = (): void => {
    for (const pair of pairs) {
      abort(pair.client);
      abort(pair.upstream);
    }
    pairs.clear();
  };

  return {
    host: listenHost,
    port: address.port,
    cut: () => {
      isCut = true;
      resetAll();
    },
    restore: () => {
      isCut = false;
    },
    close: async () => {
      isCut = true;
      resetAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    connections: () => pairs.size,
  };
}

/**
 * Closes a socket with an RST where possible, so the peer sees ECONNRESET at once (as after
 * a broken link) instead of an orderly FIN it might take for a server-side close.
 */
function abort(socket: net.Socket): void {
  if (socket.destroyed) return;
  socket.on('error', () => {});
  // resetAndDestroy() on a socket still connecting would wait for the connect to finish.
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}
