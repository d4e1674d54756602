/**
 * Reads a GetObject response body into one buffer of the announced length, copying each network
 * chunk once into place — not collected into a list and concatenated at the end (the SDK's way,
 * which doubles the copying and leaves every chunk to the collector). `into`, when large enough,
 * is the caller's memory to read into.
 */
import { EnvsnapError } from '../../core/errors.ts';

/** A body of the SDK's Node.js handler: a readable stream of Uint8Array chunks, with the SDK's fallback. */
export interface ResponseBody extends AsyncIterable<Uint8Array> {
  transformToByteArray(): Promise<Uint8Array>;
}

export async function readBody(body: ResponseBody, contentLength: number | undefined, into?: Buffer): Promise<Buffer> {
  if (contentLength === undefined || !(Symbol.asyncIterator in body)) {
    const bytes = await body.transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const out = into && into.length >= contentLength ? into.subarray(0, contentLength) : Buffer.allocUnsafeSlow(contentLength);
  let at = 0;
  for await (const chunk of body) {
    if (at + chunk.byteLength > contentLength) {
      throw new EnvsnapError('IO', `the server sent more than the ${contentLength} bytes it announced for an object`);
    }
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  // Shorter than announced: the caller sees the length and retries (a connection that broke off).
  return at === contentLength ? out : out.subarray(0, at);
}
