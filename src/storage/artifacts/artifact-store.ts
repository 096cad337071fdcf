/**
 * The artifact-store port: where a crawl keeps the binary things a page yields besides its
 * record — full-page screenshots, PDFs, and the screenshot of a browser page that failed.
 * A record names an artifact by its `location`; readers (the service, a user's script)
 * get it back by `key`.
 *
 * Adapters: a directory (fs-artifact-store.ts, the embedded default) and any
 * S3-compatible bucket (backends/s3/), chosen in main/.
 */

/** What a stored artifact is and where it went. */
export interface StoredArtifact {
  /** The store-relative key it was put under, e.g. `<jobId>/<hash>.png`. */
  key: string;
  /** Where it is, for a user: `file:///abs/path.png` or `s3://bucket/prefix/key.png`. */
  location: string;
  bytes: number;
  contentType: string;
}

export interface ArtifactStore {
  /**
   * Stores `body` under `key` (`[A-Za-z0-9._/-]`, no `..`, no leading `/`), replacing what
   * was there. Resolves once the bytes are durable (fsynced or acknowledged by the bucket).
   */
  put(key: string, body: Uint8Array, contentType: string): Promise<StoredArtifact>;
  /** The artifact's bytes and type, or null when there is none under `key`. */
  get(key: string): Promise<{ body: Buffer; contentType: string } | null>;
  close(): Promise<void>;
}

const KEY = /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._/-]{1,512}$/;

/** Throws a clear error for a key an adapter must not take (path traversal, odd bytes). */
export function checkArtifactKey(key: string): void {
  if (!KEY.test(key) || key.includes('//')) {
    throw new Error(
      `artifact key ${JSON.stringify(key)} is not valid: use [A-Za-z0-9._/-], no leading "/", no "." or ".." segments`,
    );
  }
}
