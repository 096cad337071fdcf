import assert from 'node:assert/strict';
import { isTrawlError, type TrawlError } from '../../src/core/errors.js';

/** Runs `fn` and returns the TrawlError it must throw (fails the test otherwise). */
export async function failure(fn: () => Promise<unknown>): Promise<TrawlError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isTrawlError(err), `expected a TrawlError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the fetch to fail');
}
