/**
 * A loopback HTTP server for tests that records every request (path and arrival time),
 * so tests can assert what a crawler actually asked for.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  path: string;
  at: number;
  userAgent: string | undefined;
}

export interface TestServer {
  /** "http://host:port" without a trailing slash. */
  origin: string;
  host: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests per path (query included). */
  hits(path: string): number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, server: TestServer) => void;

export async function startTestServer(
  handler: Handler,
  host = '127.0.0.1',
  port = 0,
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({
      path: req.url ?? '',
      at: performance.now(),
      userAgent: req.headers['user-agent'],
    });
    handler(req, res, api);
  });
  const api: TestServer = {
    origin: '',
    host,
    port: 0,
    requests,
    hits: (path) => requests.filter((r) => r.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  api.port = (server.address() as AddressInfo).port;
  api.origin = `http://${host}:${api.port}`;
  return api;
}

export function html(
  res: ServerResponse,
  body: string,
  status = 200,
  headers: Record<string, string> = {},
): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': buf.length,
    ...headers,
  });
  res.end(buf);
}

export function page(title: string, links: string[], extraHead = ''): string {
  const anchors = links.map((l) => `<a href="${l}">${l}</a>`).join('\n');
  return `<!doctype html><html><head><title>${title}</title>${extraHead}</head><body><h1>${title}</h1>\n${anchors}\n</body></html>`;
}

/** Polls `cond` every 10 ms until true or the deadline passes (then throws). */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
