/** Reading what the tests need of a PNG. */
import assert from 'node:assert/strict';

/** Width and height of a PNG, from its IHDR chunk (asserting the PNG signature). */
export function pngSize(png: Buffer): { width: number; height: number } {
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG signature');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
