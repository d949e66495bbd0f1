/**
 * Cover art: download the collection's (or track's) cover image to a file, within a size limit, for
 * ffmpeg to embed and for the collection folder's cover.jpg.
 */
import { atomicWriteFile } from "./library.js";

export interface FetchCoverOptions {
  /** Stop reading and give up past this many bytes. */
  maxBytes: number;
  /** Where to write the image. */
  dest: string;
  signal?: AbortSignal;
  /** @defaultValue 15000 */
  timeoutMs?: number;
}

/**
 * Fetch a cover image, refusing anything over `maxBytes` (checked on Content-Length and again while
 * reading, so a lying server cannot fill the disk). Returns `dest`, or undefined when there is no usable
 * image (HTTP error, not an image, too big, network failure). Throws only when `signal` aborts.
 */
export async function fetchCover(url: string, options: FetchCoverOptions): Promise<string | undefined> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
    const res = await fetch(parsed, { signal, redirect: "follow" });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      return undefined;
    }
    const type = res.headers.get("content-type") ?? "";
    const length = Number(res.headers.get("content-length") ?? "0");
    if (!type.startsWith("image/") || length > options.maxBytes) {
      await res.body.cancel();
      return undefined;
    }
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel();
        return undefined;
      }
      chunks.push(value);
    }
    if (total === 0) return undefined;
    await atomicWriteFile(options.dest, Buffer.concat(chunks));
    return options.dest;
  } catch (err) {
    if (options.signal?.aborted) throw err;
    return undefined;
  }
}
