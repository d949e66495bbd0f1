import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { detectCdWriters } from "../../../src/core/burn/drive-detect.js";

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/cdrdao/${name}`, import.meta.url));

describe("detectCdWriters", () => {
  it("finds the drive that can write CD-R among the kernel's drives", async () => {
    const result = await detectCdWriters({ infoPath: fixture("cdrom-info-writer.txt") });
    expect(result.found).toBe(true);
    if (!result.found) return;
    expect(result.writers).toEqual([
      { name: "sr0", device: "/dev/sr0", canWriteCdR: true, canWriteCdRw: true, speed: 48 },
    ]);
    expect(result.drives.map((d) => d.device)).toEqual(["/dev/sr1", "/dev/sr0"]);
  });

  it("says no CD writer was found when every drive only reads", async () => {
    const result = await detectCdWriters({ infoPath: fixture("cdrom-info-reader-only.txt") });
    expect(result).toMatchObject({ found: false, code: "burn_no_writer" });
    if (result.found) return;
    expect(result.message).toBe("No CD writer found: /dev/sr0 can only read CDs.");
  });

  it("says no CD writer was found when the kernel lists no drive", async () => {
    const result = await detectCdWriters({ infoPath: fixture("cdrom-info-empty.txt") });
    expect(result).toMatchObject({
      found: false,
      drives: [],
      message: "No CD writer found: the kernel lists no optical drive.",
    });
  });

  it("says no CD writer was found when the machine has no CD-ROM support at all", async () => {
    const result = await detectCdWriters({ infoPath: "/nonexistent/cdrom/info" });
    expect(result).toMatchObject({ found: false, code: "burn_no_writer" });
    if (result.found) return;
    expect(result.message).toMatch(/no optical drive \(\/nonexistent\/cdrom\/info does not exist\)/);
  });
});
