import { describe, expect, it } from "vitest";
import { defaultMatchOptions, matchTrack, scoreCandidate } from "../../../src/core/matching/scorer.js";
import type { Candidate } from "../../../src/core/matching/types.js";
import type { Track } from "../../../src/core/spotify/types.js";

const track = (over: Partial<Track> = {}): Track => ({
  id: "0VjIjW4GlUZAMYd2vXMi3b",
  title: "Blinding Lights",
  artists: ["The Weeknd"],
  album: "After Hours",
  albumArtist: "The Weeknd",
  trackNumber: 9,
  discNumber: 1,
  durationMs: 200_040,
  explicit: false,
  ...over,
});

const cand = (over: Partial<Candidate> = {}): Candidate => ({
  id: "4NRXx6U8ABQ",
  title: "Blinding Lights",
  channel: "The Weeknd - Topic",
  durationSec: 200,
  via: "music",
  ...over,
});

describe("scoreCandidate", () => {
  it("explains a perfect Topic match", () => {
    const s = scoreCandidate(track(), cand());
    expect(s).toMatchObject({ score: 100, rejected: false });
    expect(s.reasons).toEqual([
      "artist matches the channel",
      "title matches",
      "duration matches",
      "official Topic channel",
    ]);
  });

  it("scores duration like spotDL and rejects beyond the configured limit", () => {
    const off3 = scoreCandidate(
      track(),
      cand({ channel: "Someone", title: "The Weeknd - Blinding Lights", durationSec: 203 }),
    );
    expect(off3.reasons).toContain("duration off by 3 s");
    expect(off3.score).toBe(Math.round(45 + 25 + 30 * Math.exp(-0.3)));
    const off10 = cand({ durationSec: 210 });
    expect(scoreCandidate(track(), off10).rejected).toBe(false);
    const strict = scoreCandidate(track(), off10, { minConfidence: 70, maxDurationDeltaSeconds: 5 });
    expect(strict.rejected).toBe(true);
    expect(strict.score).toBe(0);
    expect(strict.reasons[0]).toBe("rejected: duration off by 10 s (limit 5 s)");
  });

  it("rejects version words missing from Spotify and requires those present", () => {
    expect(scoreCandidate(track(), cand({ title: "Blinding Lights (Live)" })).reasons[0]).toBe(
      "rejected: 'live' not in Spotify title",
    );
    const live = track({ title: "Blinding Lights - Live" });
    expect(scoreCandidate(live, cand()).reasons[0]).toBe(
      "rejected: Spotify title says 'live', upload does not",
    );
    expect(scoreCandidate(live, cand({ title: "Blinding Lights (Live)" })).rejected).toBe(false);
  });

  it("tells explicit and clean twins apart both ways", () => {
    const explicit = track({ explicit: true });
    const clean = track({ explicit: false });
    const cleanUpload = cand({ title: "Blinding Lights (Clean)" });
    const explicitUpload = cand({ title: "Blinding Lights (Explicit)" });
    expect(scoreCandidate(explicit, cleanUpload).reasons).toContain(
      "clean version, but the Spotify track is explicit",
    );
    expect(scoreCandidate(clean, explicitUpload).reasons).toContain(
      "explicit version, but the Spotify track is clean",
    );
    expect(scoreCandidate(clean, cleanUpload).reasons).toContain("clean, as on Spotify");
    expect(scoreCandidate(explicit, explicitUpload).reasons).toContain("explicit, as on Spotify");
    expect(scoreCandidate(explicit, cleanUpload).score).toBeLessThan(
      scoreCandidate(explicit, explicitUpload).score,
    );
  });

  it("is never confident without knowing the artist and the length", () => {
    const s = scoreCandidate(track(), cand({ channel: "", durationSec: undefined }));
    expect(s.score).toBeLessThan(defaultMatchOptions.minConfidence);
    expect(s.reasons).toEqual(["artist unknown (no channel)", "title matches", "duration unknown"]);
  });
});

describe("matchTrack", () => {
  it("returns no choice and a reason when there are no candidates or all are rejected", () => {
    expect(matchTrack(track(), [])).toEqual({
      choice: null,
      confidence: 0,
      reasons: ["no candidates found"],
      needsReview: true,
      top: [],
    });
    const all = matchTrack(track(), [
      cand({ title: "Blinding Lights (Karaoke)" }),
      cand({ id: "x".repeat(11), durationSec: 400 }),
    ]);
    expect(all.choice).toBeNull();
    expect(all.reasons[0]).toBe("all 2 candidates rejected");
    expect(all.top).toHaveLength(2);
  });

  it("keeps the best five to choose from (review, Wrong song?), best first", () => {
    const others = ["Lionel Richie", "Evanescence", "Sugarland", "Madonna", "Prince", "Bjork"].map(
      (name, i) =>
        cand({ id: `other${i}`.padEnd(11, "0"), channel: `${name} - Topic`, durationSec: 200 + i }),
    );
    const result = matchTrack(track(), others);
    expect(result.needsReview).toBe(true);
    expect(result.top.map((s) => s.candidate.channel)).toEqual([
      "Lionel Richie - Topic",
      "Evanescence - Topic",
      "Sugarland - Topic",
      "Madonna - Topic",
      "Prince - Topic",
    ]);
    expect(result.reasons[0]).toBe(`confidence ${result.confidence} is under 70: needs review`);
  });

  it("does not depend on candidate order and counts an id once", () => {
    const list = [
      cand({
        id: "aaaaaaaaaaa",
        title: "The Weeknd - Blinding Lights (Lyrics)",
        channel: "7clouds",
        durationSec: 202,
      }),
      cand({ id: "bbbbbbbbbbb" }),
      cand({
        id: "ccccccccccc",
        title: "The Weeknd - Blinding Lights (Official Audio)",
        channel: "The Weeknd",
        durationSec: 200,
      }),
    ];
    const a = matchTrack(track(), list);
    const b = matchTrack(track(), [...list].reverse());
    expect(a).toEqual(b);
    expect(a.choice?.id).toBe("bbbbbbbbbbb");
    expect(matchTrack(track(), [...list, list[1]!]).top).toEqual(a.top);
  });
});

/** A YouTube Music result: the credited artists and the kind of upload, as the search parser gives them. */
const ytm = (over: Partial<Candidate> & { artists: string[] }): Candidate => ({
  id: "4NRXx6U8ABQ",
  title: "Blinding Lights",
  channel: over.artists.join(", "),
  durationSec: 200,
  kind: "song",
  via: "music",
  ...over,
});

describe("scoring what YouTube Music says about an upload", () => {
  it("never picks another act's song because its title names the artist", () => {
    const impostors = [
      ytm({
        id: "emu16bit001",
        title: "Blinding Lights (16-Bit The Weeknd Emulation)",
        artists: ["16-Bit Arcade"],
      }),
      ytm({
        id: "karaoke0001",
        title: "Blinding Lights (In the Style of The Weeknd)",
        artists: ["Zoom Karaoke"],
      }),
      ytm({
        id: "lullaby0001",
        title: "Blinding Lights",
        artists: ["Twinkle Twinkle Little Rock Star"],
        album: "Lullaby Versions of The Weeknd",
      }),
      ytm({ id: "tribute0001", title: "Blinding Lights - The Weeknd", artists: ["Midnight Tribute Band"] }),
      ytm({ id: "piano000001", title: "Blinding Lights (Piano Version)", artists: ["The Weeknd"] }),
    ];
    for (const c of impostors) {
      const result = matchTrack(track(), [c]);
      expect(result.needsReview, `${c.id}: ${result.reasons.join("; ")}`).toBe(true);
      expect(result.confidence).toBeLessThan(defaultMatchOptions.minConfidence);
    }
    const real = ytm({ id: "realsong001", artists: ["The Weeknd"], album: "After Hours" });
    const result = matchTrack(track(), [...impostors, real]);
    expect(result.choice?.id).toBe("realsong001");
    expect(result.needsReview).toBe(false);
    expect(result.reasons).toEqual(
      expect.arrayContaining(["artist credited by YouTube Music", "same album"]),
    );
  });

  it("refuses a version the Spotify title does not name, in other scripts too", () => {
    const versions = [
      ytm({ id: "slowed00001", title: "Blinding Lights (slowed)", artists: ["The Weeknd"] }),
      ytm({
        id: "live0000001",
        title: "Blinding Lights",
        artists: ["The Weeknd"],
        album: "Live at SoFi Stadium",
      }),
      ytm({ id: "hebrewcover", title: "Blinding Lights (קאבר)", artists: ["The Weeknd"] }),
      ytm({ id: "polishlive1", title: "Blinding Lights (na żywo)", artists: ["The Weeknd"] }),
      ytm({ id: "koreanlive1", title: "Blinding Lights (라이브)", artists: ["The Weeknd"] }),
    ];
    for (const c of versions) {
      const s = scoreCandidate(track(), c);
      expect(s.rejected, `${c.id}: ${s.reasons.join("; ")}`).toBe(true);
    }
    // …but a live album on both sides is not a reason to refuse.
    const live = track({ album: "Live at SoFi Stadium" });
    expect(scoreCandidate(live, versions[1]!).rejected).toBe(false);
  });

  it("prefers the label's audio to the official video, and the right album among editions", () => {
    const video = ytm({
      id: "omvvideo001",
      kind: "official-video",
      artists: ["The Weeknd"],
      views: 900_000_000,
    });
    const song = ytm({ id: "atvsong0001", artists: ["The Weeknd"], views: 1_000 });
    expect(matchTrack(track(), [video, song]).choice?.id).toBe("atvsong0001");
    const compilation = ytm({
      id: "compilation",
      artists: ["The Weeknd"],
      album: "Now That's What I Call Music 105",
    });
    const album = ytm({ id: "albumsong01", artists: ["The Weeknd"], album: "After Hours (Deluxe)" });
    expect(matchTrack(track(), [compilation, album]).choice?.id).toBe("albumsong01");
  });

  it("keeps a re-recording and the original apart, both ways", () => {
    const original = ytm({
      id: "original001",
      title: "Love Story",
      artists: ["Taylor Swift"],
      durationSec: 235,
    });
    const rerecorded = ytm({
      id: "rerecorded1",
      title: "Love Story (Taylor's Version)",
      artists: ["Taylor Swift"],
      durationSec: 236,
    });
    const wanted = track({
      title: "Love Story (Taylor's Version)",
      artists: ["Taylor Swift"],
      album: "Fearless (Taylor's Version)",
      durationMs: 235_800,
    });
    expect(matchTrack(wanted, [original, rerecorded]).choice?.id).toBe("rerecorded1");
    expect(scoreCandidate(wanted, original).rejected).toBe(true);
    const old = track({
      title: "Love Story",
      artists: ["Taylor Swift"],
      album: "Fearless",
      durationMs: 235_000,
    });
    expect(matchTrack(old, [rerecorded, original]).choice?.id).toBe("original001");
    expect(scoreCandidate(old, rerecorded).rejected).toBe(true);
  });

  it("tells explicit and clean twins apart by YouTube Music's explicit badge", () => {
    const explicitSong = ytm({
      id: "explicit001",
      artists: ["The Weeknd"],
      explicit: true,
      views: 9_000_000,
    });
    const cleanSong = ytm({ id: "cleanedit01", artists: ["The Weeknd"], explicit: false, views: 1_000 });
    const clean = matchTrack(track({ explicit: false }), [explicitSong, cleanSong]);
    expect(clean.choice?.id).toBe("cleanedit01");
    expect(clean.reasons).toContain("clean, as on Spotify");
    const dirty = matchTrack(track({ explicit: true }), [explicitSong, cleanSong]);
    expect(dirty.choice?.id).toBe("explicit001");
    // Only the other twin exists: it may be offered, never confidently.
    const onlyExplicit = matchTrack(track({ explicit: false }), [explicitSong]);
    expect(onlyExplicit.needsReview).toBe(true);
    expect(onlyExplicit.reasons.join("; ")).toMatch(/explicit version, but the Spotify track is clean/u);
  });

  it("never trusts someone else's upload on its title alone", () => {
    const reupload = ytm({
      id: "reupload001",
      kind: "video",
      title: "The Weeknd - Blinding Lights",
      artists: ["Music Lover 99"],
    });
    const result = matchTrack(track(), [reupload]);
    expect(result.choice?.id).toBe("reupload001");
    expect(result.needsReview).toBe(true);
    expect(result.reasons.join("; ")).toMatch(/someone else's upload/u);
    // The artist's own channel uploading a video is theirs.
    const own = ytm({
      id: "ownchannel1",
      kind: "video",
      title: "Blinding Lights (Audio)",
      artists: ["The Weeknd"],
    });
    expect(matchTrack(track(), [own]).needsReview).toBe(false);
  });
});
