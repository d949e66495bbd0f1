/**
 * {@link ParamReader}: typed access (string, integer, boolean, JSON, uploaded file) to the parameters
 * of one Bot API call, whether they came as JSON, a form or multipart.
 */
import { badRequest } from "./bot-api-error.js";
import type { MultipartFilePart } from "./multipart-parser.js";
import type { RequestParams } from "./request-body.js";

/**
 * Typed access to call parameters. Form bodies carry every value as a string and nested objects as
 * JSON strings (grammY sends `reply_markup` that way), JSON bodies carry real types: both read alike.
 */
export class ParamReader {
  constructor(private readonly params: RequestParams) {}

  has(name: string): boolean {
    const v = this.params.values[name];
    return v !== undefined && v !== null && v !== "";
  }

  string(name: string): string | undefined {
    const v = this.params.values[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    return JSON.stringify(v);
  }

  int(name: string): number | undefined {
    const v = this.params.values[name];
    if (v === undefined || v === null || v === "") return undefined;
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isInteger(n)) throw badRequest(`field "${name}" must be of type Integer`);
    return n;
  }

  bool(name: string): boolean {
    const v = this.params.values[name];
    return v === true || v === "true" || v === "1" || v === 1;
  }

  /** A nested object or array, given as such (JSON body) or as a JSON string (form body). */
  json(name: string): unknown {
    const v = this.params.values[name];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }

  /** An uploaded part: `attach://<part>` or a file part sent under the field's own name. */
  upload(name: string): MultipartFilePart | undefined {
    const ref = this.string(name);
    if (ref?.startsWith("attach://") === true) return this.params.files.get(ref.slice("attach://".length));
    return this.params.files.get(name);
  }

  get files(): Map<string, MultipartFilePart> {
    return this.params.files;
  }
}
