/**
 * A webhook receiver for tests: a loopback server recording every delivery (raw body,
 * parsed body, headers) and answering what the test says.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { startTestServer, type TestServer } from './http-server.js';

export interface Received {
  event: string;
  raw: string;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  /** What the receiver answered. */
  status: number;
}

export interface Receiver {
  server: TestServer;
  url: string;
  got: Received[];
  /** Events answered 2xx. */
  accepted(event?: string): Received[];
  close(): Promise<void>;
}

/** A webhook receiver answering `answer(event, n)` (n: requests so far, 0-based), or 200. */
export async function startReceiver(
  answer: (
    event: string,
    n: number,
  ) => { status: number; headers?: Record<string, string> } = () => ({
    status: 200,
  }),
): Promise<Receiver> {
  const got: Received[] = [];
  const server = await startTestServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw) as Record<string, unknown>;
      const event = String(body.event ?? body.type);
      const { status, headers } = answer(event, got.length);
      got.push({ event, raw, body, headers: req.headers, status });
      res.writeHead(status, headers).end();
    });
  });
  return {
    server,
    url: `${server.origin}/hook`,
    got,
    accepted: (event) =>
      got.filter((g) => g.status < 300 && (event === undefined || g.event === event)),
    close: () => server.close(),
  };
}
