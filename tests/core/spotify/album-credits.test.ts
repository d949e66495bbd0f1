/** Genre, label and copyright reach the catalog only when Spotify's album object has them. */
import { describe, expect, it } from "vitest";
import { albumCredits } from "../../../src/core/spotify/api-provider.js";
import { albumSchema } from "../../../src/core/spotify/web-api-schemas.js";
import { trackSchema } from "../../../src/core/jobs/schemas.js";
import { readRecorded } from "../../fixtures/recorded/read-recorded.js";

interface Recorded {
  url: string;
  status: number;
  response: unknown;
}

const albums = (readRecorded("spotify-web-api.jsonl.gz") as Recorded[]).filter(
  (r) => r.status === 200 && /\/v1\/albums\/[^/?]+(\?|$)/.test(r.url),
);

describe("album credits from recorded Spotify albums", () => {
  it("a file from a recorded NCS album carries its label and © line, and no invented genre", () => {
    const ncs = albums.find((r) => r.url.includes("0cgpcZCPvGGXOCpXVqPrvJ"));
    expect(ncs).toBeDefined();
    const credits = albumCredits(albumSchema.parse(ncs!.response));
    // The recording lists genres: [] and copyrights [{C: "2021 NCS"}, {P: "2021 NCS"}].
    expect(credits).toEqual({ label: "NCS", copyright: "2021 NCS" });
  });

  it("every recorded album parses, and its credits survive a stored job's schema", () => {
    expect(albums.length).toBeGreaterThan(0);
    for (const r of albums) {
      const credits = albumCredits(albumSchema.parse(r.response));
      const stored = trackSchema.parse({
        id: "x",
        title: "t",
        artists: [],
        album: "a",
        albumArtist: "a",
        trackNumber: 1,
        discNumber: 1,
        durationMs: 1,
        explicit: false,
        ...credits,
      });
      expect({ genre: stored.genre, label: stored.label, copyright: stored.copyright }).toEqual({
        genre: credits.genre,
        label: credits.label,
        copyright: credits.copyright,
      });
    }
  });

  it("a Spotify genre is taken, the © line preferred to the ℗ line", () => {
    const album = albumSchema.parse({
      ...(albums[0]!.response as object),
      genres: ["", "synthwave", "retrowave"],
      copyrights: [
        { text: "℗ 2020 Label P", type: "P" },
        { text: "© 2020 Label C", type: "C" },
      ],
      label: "  ",
    });
    expect(albumCredits(album)).toEqual({ genre: "synthwave", copyright: "© 2020 Label C" });
  });
});
