import zlib from 'node:zlib';

/** A content coding we can undo. */
export type Coding = 'gzip' | 'deflate' | 'br';

/** Stacks deeper than this are not decoded (kept as sent): each step costs a zlib context. */
const MAX_STEPS = 3;
/** Output buffer per zlib call; fewer thread-pool round trips than node's 16 KiB. */
const CHUNK_BYTES = 64 * 1024;

const GZIP: readonly Coding[] = ['gzip'];
const BR: readonly Coding[] = ['br'];
const DEFLATE: readonly Coding[] = ['deflate'];

/**
 * The decoding steps for a Content-Encoding value, in the order to apply them (the
 * reverse of the header's), or null when the body is kept as sent: no header,
 * "identity", or any coding we cannot undo (then nothing after it can be undone either).
 */
export function decodingSteps(contentEncoding: string | undefined): readonly Coding[] | null {
  if (contentEncoding === undefined) return null;
  switch (contentEncoding) {
    case 'gzip':
      return GZIP;
    case 'br':
      return BR;
    case 'deflate':
      return DEFLATE;
  }
  const steps: Coding[] = [];
  for (const raw of contentEncoding.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === '' || token === 'identity') continue;
    const coding = token === 'x-gzip' ? 'gzip' : token;
    if (coding !== 'gzip' && coding !== 'deflate' && coding !== 'br') return null;
    steps.unshift(coding);
  }
  return steps.length === 0 || steps.length > MAX_STEPS ? null : steps;
}

/**
 * Decodes a small body that has fully arrived in one synchronous call per coding: the
 * typical page costs tens of microseconds this way, against thread-pool round trips
 * and stream set-up when streamed. Returns null when the output would pass
 * `maxOutputBytes` (keep that small: it bounds the work done on the event loop); the
 * caller then streams, which is where size, truncation and bombs are judged. Throws on
 * corrupt or (unless lenient) truncated input.
 */
export function decodeWhole(
  codings: readonly Coding[],
  input: Buffer,
  maxOutputBytes: number,
  lenient: boolean,
): Buffer | null {
  let data = input;
  try {
    for (const coding of codings) {
      if (coding === 'br') {
        data = zlib.brotliDecompressSync(data, {
          chunkSize: CHUNK_BYTES,
          maxOutputLength: maxOutputBytes,
          finishFlush: lenient
            ? zlib.constants.BROTLI_OPERATION_FLUSH
            : zlib.constants.BROTLI_OPERATION_FINISH,
        });
        continue;
      }
      const options: zlib.ZlibOptions = {
        chunkSize: CHUNK_BYTES,
        maxOutputLength: maxOutputBytes,
        finishFlush: lenient ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.Z_FINISH,
      };
      if (coding === 'gzip') data = zlib.gunzipSync(data, options);
      else if (isZlibHeader(data)) data = zlib.inflateSync(data, options);
      else data = zlib.inflateRawSync(data, options);
    }
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return null;
    throw err;
  }
  return data;
}

/** Where a BodyDecoder delivers its output. */
export interface DecodeSink {
  /** Decoded bytes, in order. */
  decoded(chunk: Buffer): void;
  /** Every input byte is decoded. */
  decodeEnd(): void;
  /** Corrupt or (unless lenient) truncated input. Called at most once. */
  decodeError(err: Error): void;
}

type ZStream = zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress;

interface Step {
  readonly coding: Coding;
  stream: ZStream | null;
  /** Deflate only: input held until two bytes tell zlib-wrapped from raw. */
  head: Buffer | null;
}

/**
 * Incremental decoder for a stack of content codings, built on node:zlib streams (the
 * work runs on the libuv thread pool). Each step is created on its first input, so an
 * empty body costs nothing. A step only runs as fast as the next one takes its output,
 * so a bomb nested in a bomb cannot balloon between steps; the last step's output goes
 * straight to the sink, which counts it and stops everything with destroy() once it has
 * enough.
 */
export class BodyDecoder {
  private readonly steps: Step[];
  private readonly sink: DecodeSink;
  private readonly lenient: boolean;
  private closed = false;

  /**
   * @param lenient accept truncated input (decode what arrived); for truncateBody reads,
   *   where the download itself may be cut short.
   */
  constructor(codings: readonly Coding[], sink: DecodeSink, lenient: boolean) {
    this.steps = codings.map((coding) => ({ coding, stream: null, head: null }));
    this.sink = sink;
    this.lenient = lenient;
  }

  /** Compressed bytes consumed so far by the first step (for the bomb ratio). */
  get consumedBytes(): number {
    const first = this.steps[0];
    return first === undefined ? 0 : (first.stream?.bytesWritten ?? first.head?.length ?? 0);
  }

  /**
   * Feeds compressed bytes. Input is queued without limit (the caller caps it); only the
   * steps after the first pace each other.
   */
  write(chunk: Buffer): void {
    this.writeStep(0, chunk);
  }

  /** No more input: flush everything to the sink, then DecodeSink.decodeEnd. */
  end(): void {
    this.endStep(0);
  }

  /** Stops at once and frees the zlib contexts; the sink hears nothing more. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    for (const step of this.steps) step.stream?.destroy();
  }

  private writeStep(index: number, chunk: Buffer): boolean {
    if (this.closed) return true;
    const step = this.steps[index] as Step;
    let stream = step.stream;
    if (stream === null) {
      if (step.coding === 'deflate') {
        const head = step.head === null ? chunk : Buffer.concat([step.head, chunk]);
        if (head.length < 2) {
          step.head = head;
          return true;
        }
        step.head = null;
        chunk = head;
      }
      stream = this.open(index, step, chunk);
    }
    return stream.write(chunk);
  }

  private endStep(index: number): void {
    if (this.closed) return;
    const step = this.steps[index] as Step;
    if (step.stream === null) {
      if (step.head === null) {
        // No input at all reached this step: nothing to decode.
        this.endNext(index);
        return;
      }
      // A lone byte of deflate: let zlib judge it (it is an error unless lenient).
      this.open(index, step, step.head).end(step.head);
      step.head = null;
      return;
    }
    step.stream.end();
  }

  private endNext(index: number): void {
    if (index + 1 < this.steps.length) this.endStep(index + 1);
    else if (!this.closed) this.sink.decodeEnd();
  }

  private open(index: number, step: Step, first: Buffer): ZStream {
    const stream = createStream(step.coding, first, this.lenient);
    step.stream = stream;
    const isLast = index + 1 === this.steps.length;
    stream.on(
      'data',
      isLast
        ? (chunk: Buffer) => {
            if (!this.closed) this.sink.decoded(chunk);
          }
        : (chunk: Buffer) => {
            if (!this.writeStep(index + 1, chunk)) stream.pause();
          },
    );
    stream.on('end', () => this.endNext(index));
    stream.on('error', (err: Error) => {
      if (this.closed) return;
      this.destroy();
      this.sink.decodeError(err);
    });
    if (index > 0) stream.on('drain', () => this.steps[index - 1]?.stream?.resume());
    return stream;
  }
}

function createStream(coding: Coding, first: Buffer, lenient: boolean): ZStream {
  if (coding === 'br') {
    return zlib.createBrotliDecompress({
      chunkSize: CHUNK_BYTES,
      finishFlush: lenient
        ? zlib.constants.BROTLI_OPERATION_FLUSH
        : zlib.constants.BROTLI_OPERATION_FINISH,
    });
  }
  const options: zlib.ZlibOptions = {
    chunkSize: CHUNK_BYTES,
    finishFlush: lenient ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.Z_FINISH,
  };
  if (coding === 'gzip') return zlib.createGunzip(options);
  // "deflate" is meant to be zlib-wrapped (RFC 9110), but servers also send raw
  // deflate; browsers sniff the two-byte zlib header, and so do we.
  return isZlibHeader(first) ? zlib.createInflate(options) : zlib.createInflateRaw(options);
}

/** RFC 1950: CM = 8 (deflate), CINFO <= 7, and the header is a multiple of 31. */
function isZlibHeader(b: Buffer): boolean {
  const cmf = b[0] ?? 0;
  const flg = b[1] ?? 0;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}
