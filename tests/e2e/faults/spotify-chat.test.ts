/**
 * Spotify as it really answers in 2026, seen from the chat: a link to nothing public, and a lapsed Premium
 * on the app owner's account (FACTS.md, Spotify; LavaSrc #334, spotDL #2634).
 */
import { afterEach, describe, expect, it } from "vitest";
import { shortAlbum, shortAlbums } from "../../../src/emulators/spotify/index.js";
import { eventually } from "../../helpers/processes.js";
import { alice, spotifyLink, startRig, type Rig } from "./fault-rig.js";

const admin = { id: 3002, firstName: "Ada" };

describe("Spotify's answers, in the chat", () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it("a link to a private or deleted playlist (the embed page's HTTP 200 with status 404) says not found", async () => {
    rig = await startRig({ role: "all", telegram: true });
    const r = rig;
    await r.requestByChat(spotifyLink("playlist", "0000000000000000000000")).catch(() => undefined);
    const answer = await r.tg!.waitForMessage(alice.id, /not found|Not found/u, 30_000);
    expect(answer.text).toMatch(/private, deleted or mistyped/u);
    expect(answer.text).not.toMatch(/embed page has changed/iu);
  }, 60_000);

  it("the app owner's Premium lapses: the person's album still arrives, the admin is told once in the chat", async () => {
    rig = await startRig({ role: "all", telegram: true, config: { telegram: { adminUserIds: [admin.id] } } });
    const r = rig;
    r.tg!.sendText(admin, "/start");
    await r.tg!.waitForMessage(admin.id, /./u, 15_000);
    r.stack.spotify.control.setPremiumLapsed(true);
    const first = await r.requestByChat(spotifyLink("album", shortAlbum.id));
    const summary = await r.summaryFor(first, 90_000);
    expect(summary.text).toContain(`${shortAlbum.tracks.length} of ${shortAlbum.tracks.length} tracks ready`);
    expect(summary.text).not.toMatch(/not found|mistyped|your link is wrong/iu);
    // The tracks themselves reach the chat (the last ones may follow the summary).
    const audios = () => r.tg!.transcript(alice.id).filter((m) => m.kind === "audio").length;
    expect(await eventually(() => audios() === shortAlbum.tracks.length, 30_000)).toBe(true);
    const warnings = () => r.tg!.transcript(admin.id).filter((m) => m.text.startsWith("⚠️"));
    const told = await r.tg!.waitForMessage(admin.id, /Premium/u, 15_000);
    expect(told.text).toContain("Active premium subscription required for the owner of the app");
    expect(told.text).toMatch(/Renew Premium/u);
    // A second request while the lapse lasts: no second notice.
    const second = await r.requestByChat(spotifyLink("album", shortAlbums[1]!.id));
    await r.summaryFor(second, 60_000).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(warnings()).toHaveLength(1);
  }, 150_000);
});
