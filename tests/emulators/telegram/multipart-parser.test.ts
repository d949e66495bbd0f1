import { describe, expect, it } from "vitest";
import { boundaryOf, parseMultipart } from "../../../src/emulators/telegram/multipart-parser.js";

const boundary = "----------abc123";
// The shape grammY 1.46 writes: lower-case headers without spaces, unquoted filename.
function grammyStyleBody(file: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\n`),
    Buffer.from(`content-disposition:form-data;name="chat_id"\r\n\r\n42`),
    Buffer.from(`\r\n--${boundary}\r\n`),
    Buffer.from(`content-disposition:form-data;name="audio"\r\n\r\nattach://xyz`),
    Buffer.from(`\r\n--${boundary}\r\n`),
    Buffer.from(`content-disposition:form-data;name="reply_markup"\r\n\r\n{"inline_keyboard":[]}`),
    Buffer.from(`\r\n--${boundary}\r\n`),
    Buffer.from(
      `content-disposition:form-data;name="xyz";filename=track one.mp3\r\ncontent-type:application/octet-stream\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

function* chunked(body: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}

describe("parseMultipart", () => {
  // Bytes that look like the start of a delimiter must stay part of the file.
  const file = Buffer.concat([
    Buffer.from("ID3\r\n--"),
    Buffer.alloc(300, 0xff),
    Buffer.from(`\r\n--${boundary.slice(0, 5)}`),
  ]);

  for (const size of [1, 3, 17, 4096]) {
    it(`parses a grammY body split into ${size}-byte chunks`, async () => {
      const parsed = await parseMultipart(chunked(grammyStyleBody(file), size), boundary, {
        maxFileBytes: 1000,
        keepFileBytes: true,
      });
      expect(Object.fromEntries(parsed.fields)).toEqual({
        chat_id: "42",
        audio: "attach://xyz",
        reply_markup: '{"inline_keyboard":[]}',
      });
      const part = parsed.files.get("xyz");
      expect(part).toMatchObject({ filename: "track one.mp3", size: file.length });
      expect(part?.data?.equals(file)).toBe(true);
      expect(parsed.tooLarge).toBe(false);
    });
  }

  it("counts an oversized file to the end without keeping it", async () => {
    const big = Buffer.alloc(5000, 1);
    const parsed = await parseMultipart(chunked(grammyStyleBody(big), 512), boundary, {
      maxFileBytes: 1000,
      keepFileBytes: true,
    });
    expect(parsed.tooLarge).toBe(true);
    expect(parsed.files.get("xyz")?.size).toBe(5000);
    expect(parsed.files.get("xyz")?.data).toBeUndefined();
  });

  it("rejects a body without its closing boundary", async () => {
    const body = grammyStyleBody(file);
    await expect(
      parseMultipart(chunked(body.subarray(0, body.length - 10), 64), boundary, { maxFileBytes: 1000 }),
    ).rejects.toThrow(/closing boundary/);
  });

  it("reads quoted and unquoted boundaries from the content type", () => {
    expect(boundaryOf("multipart/form-data; boundary=----------abc")).toBe("----------abc");
    expect(boundaryOf('multipart/form-data; boundary="x y"')).toBe("x y");
    expect(boundaryOf("multipart/form-data")).toBeUndefined();
  });
});
