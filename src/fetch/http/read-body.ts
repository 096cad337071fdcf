import type { Dispatcher } from 'undici';
import { TrawlError } from '../../core/errors.js';
import { BodyDecoder, decodeWhole, decodingSteps } from './decode-body.js';
import type { Coding, DecodeSink } from './decode-body.js';
import type { RequestGuard } from './request-guard.js';
import { toTrawlError } from './to-trawl-error.js';

type ResponseBody = Dispatcher.ResponseData['body'];

/**
 * A compressed body that ends within this many wire bytes is decoded in one synchronous
 * call instead of streamed (most pages); a longer one starts streaming at this point.
 */
const WHOLE_WIRE_BYTES = 64 * 1024;
/**
 * Output cap of that synchronous call, so a small bomb costs the event loop at most
 * about a millisecond before it is handed to the streaming decoder.
 */
const WHOLE_OUTPUT_BYTES = 1024 * 1024;

/** How much of a body is kept, and how an oversized one is judged. */
export interface BodyLimits {
  /** Cap on the decoded body and on the wire bytes, bytes. */
  maxBodyBytes: number;
  /** Keep the first maxBodyBytes instead of failing with too_large. */
  truncate: boolean;
  /** decoded/compressed ratio above which an oversized body is a decompression_bomb. */
  maxDecompressionRatio: number;
}

export interface ReadBody {
  /** Decoded body, at most maxBodyBytes. */
  body: Buffer;
  /** Bytes received on the wire (before decoding). */
  wireBytes: number;
}

/**
 * Reads and decodes a response body within `limits`. The download is stopped the moment
 * a limit is passed (the socket is destroyed, never drained), and on any failure both
 * the body stream and the decoder are destroyed. Rejects with a TrawlError:
 * too_large, decompression_bomb, bad_encoding, timeout, network or aborted.
 *
 * An HTTP-level truncation (the server closes before Content-Length or the last chunk)
 * is `network`, like any broken connection, and is worth a retry. A compressed stream
 * that is cut short inside a complete HTTP message (close-delimited bodies) is
 * `bad_encoding`, except with `truncate`, where whatever decoded is kept.
 */
export function readBody(
  body: ResponseBody,
  headers: Dispatcher.ResponseData['headers'],
  status: number,
  limits: BodyLimits,
  guard: RequestGuard,
): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    new BodyReader(body, headers, status, limits, guard, resolve, reject).start();
  });
}

class BodyReader implements DecodeSink {
  private readonly chunks: Buffer[] = [];
  /** Decoded bytes kept so far. */
  private size = 0;
  private wireBytes = 0;
  /** The wire stream ended, failed or was stopped by us: ignore its events from now on. */
  private wireDone = false;
  private settled = false;
  private decoder: BodyDecoder | null = null;
  /** Compressed bytes held back while the body may still be small enough to decode whole. */
  private pending: Buffer[] = [];
  private readonly steps: readonly Coding[] | null;
  private readonly maxBytes: number;

  constructor(
    private readonly body: ResponseBody,
    private readonly headers: Dispatcher.ResponseData['headers'],
    private readonly status: number,
    private readonly limits: BodyLimits,
    private readonly guard: RequestGuard,
    private readonly resolve: (result: ReadBody) => void,
    private readonly reject: (err: TrawlError) => void,
  ) {
    const encoding = headers['content-encoding'];
    this.steps = decodingSteps(typeof encoding === 'string' ? encoding : encoding?.join(', '));
    this.maxBytes = limits.maxBodyBytes;
  }

  start(): void {
    const { body } = this;
    // Listening for errors first: undici emits one when a body is destroyed unread.
    body.on('error', (err: Error) => this.onWireError(err));
    const length = Number(this.headers['content-length']);
    if (length > this.maxBytes && !this.limits.truncate) {
      this.fail(
        new TrawlError(
          'too_large',
          `Content-Length ${length} exceeds maxBodyBytes (${this.maxBytes} bytes)`,
          { status: this.status },
        ),
      );
      return;
    }
    this.guard.onAbort = (reason) => this.fail(reason);
    body.on('data', (chunk: Buffer) => this.onWire(chunk));
    body.on('end', () => this.onWireEnd());
  }

  decoded(chunk: Buffer): void {
    if (this.settled) return;
    const total = this.size + chunk.length;
    if (total <= this.maxBytes) {
      this.chunks.push(chunk);
      this.size = total;
      return;
    }
    if (this.limits.truncate) {
      this.chunks.push(chunk.subarray(0, this.maxBytes - this.size));
      this.size = this.maxBytes;
      this.finish();
      return;
    }
    this.fail(this.oversized(total));
  }

  decodeEnd(): void {
    this.finish();
  }

  decodeError(err: Error): void {
    const codings = (this.steps ?? []).join('+');
    this.fail(
      new TrawlError('bad_encoding', `could not decode the ${codings} body: ${err.message}`, {
        cause: err,
        status: this.status,
      }),
    );
  }

  private onWire(chunk: Buffer): void {
    if (this.wireDone) return;
    this.wireBytes += chunk.length;
    if (this.wireBytes > this.maxBytes) {
      if (!this.limits.truncate) {
        this.fail(this.oversized(this.wireBytes));
        return;
      }
      // Keep what fits and hang up: the rest would only be thrown away.
      this.stopWire();
      chunk = chunk.subarray(0, chunk.length - (this.wireBytes - this.maxBytes));
      if (this.steps === null) {
        this.decoded(chunk);
        this.finish();
      } else {
        // Whatever was held goes through the (lenient) streaming decoder with the rest.
        const decoder = this.decoder ?? this.startStreaming();
        if (chunk.length > 0) decoder.write(chunk);
        decoder.end();
      }
      return;
    }
    if (this.steps === null) this.decoded(chunk);
    else this.feed(chunk);
  }

  /**
   * The wire is never paused for the decoder: it is capped at maxBodyBytes anyway, and a
   * paused response keeps its socket out of the pool, its FIN unread, while zlib works
   * (a reused socket the server has meanwhile closed then fails the next request).
   */
  private feed(chunk: Buffer): void {
    if (this.decoder === null) {
      if (this.wireBytes <= WHOLE_WIRE_BYTES && !this.wireDone) {
        this.pending.push(chunk);
        return;
      }
      this.startStreaming();
    }
    (this.decoder as BodyDecoder).write(chunk);
  }

  private startStreaming(): BodyDecoder {
    const decoder = new BodyDecoder(this.steps ?? [], this, this.limits.truncate);
    this.decoder = decoder;
    for (const held of this.pending) decoder.write(held);
    this.pending = [];
    return decoder;
  }

  private onWireEnd(): void {
    if (this.wireDone) return;
    this.wireDone = true;
    if (this.decoder !== null) this.decoder.end();
    else if (this.pending.length === 0) this.finish();
    else this.decodeHeld();
  }

  /** The whole compressed body arrived while small: try the one-shot path first. */
  private decodeHeld(): void {
    const { pending } = this;
    const input = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    let body: Buffer | null;
    try {
      const cap = Math.min(this.maxBytes, WHOLE_OUTPUT_BYTES);
      body = decodeWhole(this.steps ?? [], input, cap, this.limits.truncate);
    } catch (err) {
      this.decodeError(err as Error);
      return;
    }
    if (body === null) {
      // Too big to finish on the event loop: stream it, which also judges the size.
      this.pending = [input];
      this.startStreaming().end();
      return;
    }
    this.chunks.push(body);
    this.size = body.length;
    this.finish();
  }

  private onWireError(err: Error): void {
    if (this.wireDone) return;
    this.wireDone = true;
    this.fail(toTrawlError(err, this.status));
  }

  /** Hangs up: undici destroys the socket of a response that is not fully read. */
  private stopWire(): void {
    if (this.wireDone) return;
    this.wireDone = true;
    this.body.destroy();
  }

  private oversized(bytes: number): TrawlError {
    // Ratio against the compressed bytes the decoder actually consumed, not the wire
    // bytes received: one 64 KiB socket read may hold a bomb's few KiB and then some.
    const consumed = this.decoder?.consumedBytes || this.wireBytes;
    const ratio = bytes / Math.max(1, consumed);
    const bomb = this.decoder !== null && ratio > this.limits.maxDecompressionRatio;
    return bomb
      ? new TrawlError(
          'decompression_bomb',
          `decoded body passed maxBodyBytes (${this.maxBytes} bytes) from ${consumed} compressed bytes (${Math.round(ratio)}x)`,
          { status: this.status },
        )
      : new TrawlError('too_large', `body exceeds maxBodyBytes (${this.maxBytes} bytes)`, {
          status: this.status,
        });
  }

  private finish(): void {
    if (this.settled) return;
    this.settle();
    const { chunks } = this;
    // A lone chunk is returned as is: most pages arrive in one read.
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.size);
    this.resolve({ body, wireBytes: this.wireBytes });
  }

  private fail(err: TrawlError): void {
    if (this.settled) return;
    this.settle();
    this.reject(err);
  }

  private settle(): void {
    this.settled = true;
    this.guard.onAbort = null;
    this.stopWire();
    this.decoder?.destroy();
  }
}
