/** A bare node:http server on 127.0.0.1 for tests that drive a client directly. */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export async function listen(
  handler: http.RequestListener,
): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Closes the server, dropping kept-alive connections. */
export async function shut(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
