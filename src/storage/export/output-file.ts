/**
 * The file an export is written to: a temporary file beside the target, renamed over it
 * on commit, so a reader never sees half an export and a failed export leaves nothing.
 * Small writes are gathered into chunks: one fs write per 64 KiB instead of one per row.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';

/** Text gathered before one write to the file, in UTF-16 code units (~64 KiB). */
const CHUNK_CHARS = 64 * 1024;

export class OutputFile {
  /** The temporary path written until commit. */
  readonly tmpPath: string;
  private readonly stream: WriteStream;
  private pending: string[] = [];
  private pendingChars = 0;
  private failure: Error | null = null;
  private done = false;

  private constructor(
    readonly path: string,
    tmpPath: string,
    stream: WriteStream,
  ) {
    this.tmpPath = tmpPath;
    this.stream = stream;
    // Remembered, not thrown: the next write or commit reports it.
    stream.on('error', (err) => (this.failure ??= err));
  }

  /** Opens the temporary file (and fails now, not at the first row, if it cannot). */
  static async open(path: string): Promise<OutputFile> {
    const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const stream = createWriteStream(tmp);
    await once(stream, 'open');
    return new OutputFile(path, tmp, stream);
  }

  /**
   * Queues text or bytes. Resolves at once unless the file is behind (backpressure), so
   * callers may await every write without a cost per row.
   */
  write(chunk: string | Uint8Array): Promise<void> | undefined {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (typeof chunk === 'string') {
      this.pending.push(chunk);
      this.pendingChars += chunk.length;
      return this.pendingChars >= CHUNK_CHARS ? this.flush() : undefined;
    }
    const flushed = this.flush();
    if (flushed !== undefined) return flushed.then(() => this.put(chunk));
    return this.put(chunk);
  }

  /** Writes what is gathered; resolves when the file can take more. */
  flush(): Promise<void> | undefined {
    if (this.pendingChars === 0) return undefined;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    return this.put(text);
  }

  private put(chunk: string | Uint8Array): Promise<void> | undefined {
    if (this.stream.write(chunk)) return undefined;
    return this.drain();
  }

  private async drain(): Promise<void> {
    // once() rejects on 'error', so a failing disk cannot leave this waiting forever.
    await once(this.stream, 'drain');
    if (this.failure !== null) throw this.failure;
  }

  /** Finishes the file and renames it into place; returns its size in bytes. */
  async commit(): Promise<number> {
    await this.flush();
    if (this.failure !== null) throw this.failure;
    this.done = true;
    this.stream.end();
    await once(this.stream, 'finish');
    if (this.failure !== null) throw this.failure;
    const { size } = await stat(this.tmpPath);
    await rename(this.tmpPath, this.path);
    return size;
  }

  /** Drops the temporary file. Safe to call more than once, and after a failed commit. */
  async abort(): Promise<void> {
    if (!this.done || this.failure !== null) this.stream.destroy();
    this.done = true;
    await unlink(this.tmpPath).catch(() => undefined);
  }
}
