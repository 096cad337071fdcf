/** Waiting for a spawned server to announce itself on its first line of stdout. */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * The child's first stdout line; rejects (and kills the child) if it exits first or says
 * nothing within `timeoutMs`. Later output is drained so the child never blocks on it.
 */
export async function firstLine(
  child: { stdout: Readable; kill(signal: NodeJS.Signals): boolean },
  exited: Promise<unknown[]>,
  name: string,
  timeoutMs: number,
): Promise<string> {
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`${name} exited with code ${String(code)} before listening`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${name} did not start in time`)), timeoutMs).unref(),
    ),
  ]).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  lines.close();
  child.stdout.resume();
  return first;
}
