/**
 * A small streaming multipart/form-data parser: enough for what Bot API clients send (grammY writes
 * `content-disposition:form-data;name="x";filename=y` with no spaces and an unquoted filename, so the
 * header parsing is lenient). File bytes are counted as they stream by and kept only when asked to,
 * so a large upload costs O(1) memory and an oversized one is drained, not buffered.
 */

/** A plain form field. */
export interface MultipartFieldPart {
  readonly name: string;
  readonly value: string;
}

/** A file part (a part whose content-disposition carries a filename). */
export interface MultipartFilePart {
  readonly name: string;
  readonly filename: string;
  readonly contentType: string;
  /** Bytes received for this part, counted even past the limit. */
  size: number;
  /** The bytes, only when `keepFileBytes` was set and the part stayed within the limit. */
  data?: Buffer;
}

/** What a whole body parsed into. */
export interface ParsedMultipart {
  readonly fields: Map<string, string>;
  readonly files: Map<string, MultipartFilePart>;
  /** A file part exceeded `maxFileBytes` or a field exceeded `maxFieldBytes`. */
  readonly tooLarge: boolean;
}

/** Options of {@link parseMultipart}. */
export interface MultipartOptions {
  /** Largest accepted file part in bytes. */
  readonly maxFileBytes: number;
  /** Largest accepted plain field in bytes. @defaultValue 1 MiB */
  readonly maxFieldBytes?: number;
  /** Keep file bytes in memory (tests that inspect uploads). @defaultValue false */
  readonly keepFileBytes?: boolean;
}

/** The body is not valid multipart/form-data. */
export class MultipartSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MultipartSyntaxError";
  }
}

const CRLF_CRLF = Buffer.from("\r\n\r\n");
const MAX_HEADER_BYTES = 16 * 1024;

/** Reads the boundary out of a `multipart/form-data; boundary=...` content type. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Parses a multipart body from a stream of chunks (for example an `IncomingMessage`). */
export async function parseMultipart(
  source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  boundary: string,
  options: MultipartOptions,
): Promise<ParsedMultipart> {
  const parser = new MultipartParser(boundary, options);
  // A syntax error does not stop the loop: leaving it early would destroy the request stream and the
  // client would see a reset connection instead of the 400.
  let failure: MultipartSyntaxError | undefined;
  for await (const chunk of source) {
    if (failure !== undefined) continue;
    try {
      parser.write(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    } catch (error) {
      if (!(error instanceof MultipartSyntaxError)) throw error;
      failure = error;
    }
  }
  if (failure !== undefined) throw failure;
  return parser.end();
}

type State = "preamble" | "afterDelimiter" | "headers" | "body" | "done";

interface OpenPart {
  name: string;
  file?: MultipartFilePart;
  chunks: Buffer[];
  bytes: number;
}

class MultipartParser {
  private readonly delimiter: Buffer;
  private readonly maxFieldBytes: number;
  // The stream is read as if it began with CRLF, so the first boundary looks like every other one.
  private buf: Buffer = Buffer.from("\r\n");
  private state: State = "preamble";
  private part: OpenPart | undefined;
  private tooLarge = false;
  private readonly fields = new Map<string, string>();
  private readonly files = new Map<string, MultipartFilePart>();

  constructor(
    boundary: string,
    private readonly options: MultipartOptions,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    this.maxFieldBytes = options.maxFieldBytes ?? 1024 * 1024;
  }

  write(chunk: Buffer): void {
    if (this.state === "done") return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.process();
  }

  end(): ParsedMultipart {
    if (this.state !== "done")
      throw new MultipartSyntaxError("multipart body ended before its closing boundary");
    return { fields: this.fields, files: this.files, tooLarge: this.tooLarge };
  }

  private process(): void {
    for (;;) {
      switch (this.state) {
        case "preamble":
        case "body": {
          const idx = this.buf.indexOf(this.delimiter);
          if (idx === -1) {
            // Keep a tail that might be the start of a delimiter split across chunks.
            const safe = this.buf.length - (this.delimiter.length - 1);
            if (safe > 0) {
              if (this.state === "body") this.onData(this.buf.subarray(0, safe));
              this.buf = this.buf.subarray(safe);
            }
            return;
          }
          if (this.state === "body") {
            this.onData(this.buf.subarray(0, idx));
            this.finishPart();
          }
          this.buf = this.buf.subarray(idx + this.delimiter.length);
          this.state = "afterDelimiter";
          break;
        }
        case "afterDelimiter": {
          if (this.buf.length < 2) return;
          if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
            this.state = "done";
            this.buf = Buffer.alloc(0);
            return;
          }
          if (this.buf[0] !== 0x0d || this.buf[1] !== 0x0a)
            throw new MultipartSyntaxError("bad boundary line");
          this.buf = this.buf.subarray(2);
          this.state = "headers";
          break;
        }
        case "headers": {
          let headerEnd: number;
          let skip: number;
          if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
            headerEnd = 0;
            skip = 2;
          } else {
            headerEnd = this.buf.indexOf(CRLF_CRLF);
            skip = 4;
          }
          if (headerEnd === -1) {
            if (this.buf.length > MAX_HEADER_BYTES) throw new MultipartSyntaxError("part headers too long");
            return;
          }
          this.startPart(this.buf.subarray(0, headerEnd).toString("utf8"));
          this.buf = this.buf.subarray(headerEnd + skip);
          this.state = "body";
          break;
        }
        case "done":
          return;
      }
    }
  }

  private startPart(headerText: string): void {
    let disposition = "";
    let contentType = "application/octet-stream";
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon === -1) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === "content-disposition") disposition = value;
      else if (key === "content-type") contentType = value;
    }
    const params = dispositionParams(disposition);
    const name = params.get("name");
    if (name === undefined) throw new MultipartSyntaxError("part without a name");
    const filename = params.get("filename");
    this.part = {
      name,
      chunks: [],
      bytes: 0,
      ...(filename !== undefined ? { file: { name, filename, contentType, size: 0 } } : {}),
    };
  }

  private onData(data: Buffer): void {
    const part = this.part;
    if (part === undefined || data.length === 0) return;
    part.bytes += data.length;
    const limit = part.file !== undefined ? this.options.maxFileBytes : this.maxFieldBytes;
    if (part.bytes > limit) {
      this.tooLarge = true;
      part.chunks = [];
      return;
    }
    if (part.file === undefined || this.options.keepFileBytes === true) part.chunks.push(Buffer.from(data));
  }

  private finishPart(): void {
    const part = this.part;
    this.part = undefined;
    if (part === undefined) return;
    if (part.file !== undefined) {
      part.file.size = part.bytes;
      if (this.options.keepFileBytes === true && !this.tooLarge) part.file.data = Buffer.concat(part.chunks);
      this.files.set(part.name, part.file);
    } else if (part.bytes <= this.maxFieldBytes) {
      this.fields.set(part.name, Buffer.concat(part.chunks).toString("utf8"));
    }
  }
}

/** `form-data; name="a"; filename=b.mp3` -> {name: a, filename: b.mp3}; quotes optional. */
function dispositionParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const m of value.matchAll(re)) {
    const key = m[1]?.toLowerCase();
    if (key === undefined) continue;
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? "").trim();
    out.set(key, raw);
  }
  return out;
}
