/**
 * A real S3 implementation on loopback for tests: s3rver (the @20minutes fork, Node >= 20,
 * which checks SigV4 signatures), in its own process on a kernel-chosen port, its data in a
 * temp dir; plus signed requests for what Trawl's adapter does not do (buckets, listing).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import aws4 from 'aws4';
import { request } from 'undici';
import { waitFor } from './http-server.js';
import { tempDir } from './temp-dir.js';

/** s3rver's built-in key pair. */
export const S3RVER_KEY = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const REGION = 'us-east-1';

export interface S3Server {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Runs s3rver in a child process (its package ships no CLI file, so a few lines of -e
 * start its documented API), listening on port 0 of 127.0.0.1: the kernel picks a free
 * port, so no probe can race. Ready once the child reports its port.
 */
export async function startS3Server(): Promise<S3Server> {
  const data = await tempDir('trawl-s3rver-');
  const lib = createRequire(import.meta.url).resolve('@20minutes/s3rver');
  const script = `
    const S3rver = require(process.argv[1]);
    new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2] })
      .run()
      .then((address) => process.stdout.write('listening ' + address.port + '\\n'))
      .catch((error) => { console.error(error); process.exit(1); });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script, lib, data.path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  let output = '';
  let port: number | null = null;
  let exited = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const match = /listening (\d+)/.exec(output);
    if (match) port = Number(match[1]);
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const gone = new Promise<void>((done) => child.once('exit', () => done()));
  void gone.then(() => (exited = true));
  child.once('error', (error) => (output += String(error)));
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      try {
        await waitFor(() => exited, 5_000, 's3rver to exit on SIGTERM');
      } catch {
        kill();
        await gone;
      }
    }
    process.removeListener('exit', kill);
    await data.cleanup();
  };
  try {
    await waitFor(() => port !== null || exited, 20_000, 's3rver to listen');
  } catch (error) {
    await stop();
    throw error;
  }
  if (port === null) {
    await stop();
    throw new Error(`s3rver exited during start-up:\n${output}`);
  }
  return { endpoint: `http://127.0.0.1:${port}`, stop };
}

/** One request signed with s3rver's key, for what the adapter does not do (buckets, listing). */
export async function s3Request(
  endpoint: string,
  method: string,
  path: string,
): Promise<{ status: number; body: string }> {
  const url = new URL(path, endpoint);
  const signed = aws4.sign(
    { method, host: url.host, path, service: 's3', region: REGION, headers: {} },
    S3RVER_KEY,
  );
  const headers = Object.fromEntries(
    Object.entries(signed.headers ?? {}).map(([k, v]) => [k, String(v)]),
  );
  const response = await request(url, { method, headers });
  return { status: response.statusCode, body: await response.body.text() };
}

export async function listKeys(endpoint: string, bucket: string): Promise<string[]> {
  const { status, body } = await s3Request(endpoint, 'GET', `/${bucket}`);
  assert.equal(status, 200, body);
  return [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] ?? '');
}
