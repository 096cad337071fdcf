/**
 * The directory adapter of the artifact-store port, the embedded default.
 *
 * Layout: the artifact under key `a/b.png` is the plain file `<dir>/a/b.png`, so a user can
 * open it straight from the record's `file://` location. Its content type is one line of
 * text in the sidecar `<dir>/a/b.png~type`. Temp files are `<dir>/a/b.png~<random>.tmp`.
 * `~` is not a key character (see checkArtifactKey), so neither can ever be read or
 * replaced as an artifact of its own.
 *
 * Each file is written to a temp file in the same directory, fsynced, then renamed over the
 * old one (and the directory fsynced), so a reader sees the old bytes or the new ones,
 * never half a file, and a put that resolved survives a crash. The pair (body, sidecar) is
 * two renames, not one: a reader racing a replace that changes the type may, for that
 * instant, get the new bytes with the old type. Puts of one key from this process are
 * serialised, so that they cannot interleave; across processes the last rename wins.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkArtifactKey, type ArtifactStore, type StoredArtifact } from './artifact-store.js';

/** The type `get` reports for a file whose sidecar is missing (written by hand, say). */
const FALLBACK_TYPE = 'application/octet-stream';
const TYPE_SUFFIX = '~type';

export class FsArtifactStore implements ArtifactStore {
  /** The directory, absolute. */
  readonly dir: string;
  /** The put in flight per key, so that puts of one key run one after another. */
  private readonly writing = new Map<string, Promise<unknown>>();
  private closed = false;

  /** @param dir where artifacts go; created on the first put. Relative resolves against cwd. */
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<StoredArtifact> {
    checkArtifactKey(key);
    checkContentType(contentType);
    if (this.closed) throw new Error(`artifact store ${this.dir} is closed`);
    const previous = this.writing.get(key) ?? Promise.resolve();
    const done = previous.catch(() => undefined).then(() => this.write(key, body, contentType));
    this.writing.set(key, done);
    try {
      return await done;
    } finally {
      if (this.writing.get(key) === done) this.writing.delete(key);
    }
  }

  async get(key: string): Promise<{ body: Buffer; contentType: string } | null> {
    checkArtifactKey(key);
    const path = this.pathOf(key);
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    let contentType = FALLBACK_TYPE;
    try {
      contentType = (await readFile(path + TYPE_SUFFIX, 'utf8')).trim() || FALLBACK_TYPE;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    return { body, contentType };
  }

  /** Waits for the puts in flight; later puts are refused. Nothing else to release. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.writing.values()]);
  }

  private pathOf(key: string): string {
    // checkArtifactKey rules out "..", "." and leading "/", so this stays inside dir.
    return join(this.dir, ...key.split('/'));
  }

  private async write(key: string, body: Uint8Array, contentType: string): Promise<StoredArtifact> {
    const path = this.pathOf(key);
    const parent = dirname(path);
    try {
      await mkdir(parent, { recursive: true });
    } catch (error) {
      // ENOTDIR/EEXIST: a shorter key is a file here ("a" when putting "a/b").
      throw new Error(
        `artifact store: could not make the directory of ${JSON.stringify(key)} in ${this.dir}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    // The sidecar first: a reader that sees the new body finds its type already in place
    // (when no other process replaces the type in between).
    await writeAtomically(path + TYPE_SUFFIX, Buffer.from(`${contentType}\n`, 'utf8'));
    await writeAtomically(path, body);
    await fsyncDir(parent);
    return {
      key,
      location: pathToFileURL(path).href,
      bytes: body.byteLength,
      contentType,
    };
  }
}

/** Temp file beside `path`, fsync, rename over `path`; the temp file is removed on failure. */
async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  const temp = `${path}~${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new Error(`artifact store: could not write ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Makes the renames in `dir` durable (POSIX: a rename is on disk once its directory is). */
async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    // Platforms that cannot open a directory (Windows) cannot fsync one either.
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Missing, or the key names a directory or passes through a file: no artifact there. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
}

/** The sidecar holds one line, and S3 sends the type as a header: no line breaks. */
function checkContentType(contentType: string): void {
  if (!/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(contentType)) {
    throw new Error(
      `artifact content type ${JSON.stringify(contentType)} is not valid: use printable ASCII, e.g. "image/png"`,
    );
  }
}
