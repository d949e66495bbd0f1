/** The human text of a resolved collection, as `cd-collector resolve <link>` prints it. */
import type { Collection } from "./types.js";

const kindLabels = { track: "Track", album: "Album", playlist: "Playlist" } as const;
const providerLabels = { api: "the Spotify Web API", embed: "Spotify's public embed page" } as const;

/** `m:ss`, or `h:mm:ss` from one hour on. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/**
 * Tracks numbered with durations (`E` marks explicit ones), the total duration, which provider answered,
 * whether the list was cut, and the notes.
 */
export function formatCollection(collection: Collection): string {
  const lines: string[] = [];
  const heading = `${kindLabels[collection.ref.kind]}: ${collection.title}`;
  lines.push(collection.subtitle ? `${heading} — ${collection.subtitle}` : heading);
  lines.push(collection.ref.uri, "");
  const width = String(collection.tracks.length).length;
  for (const [index, track] of collection.tracks.entries()) {
    const number = String(index + 1).padStart(width, " ");
    const explicit = track.explicit ? " [E]" : "";
    lines.push(
      `${number}. ${track.artists.join(", ")} — ${track.title}${explicit}  ${formatDuration(track.durationMs)}`,
    );
  }
  const totalMs = collection.tracks.reduce((sum, t) => sum + t.durationMs, 0);
  const count = collection.tracks.length;
  lines.push(
    "",
    `${count} ${count === 1 ? "track" : "tracks"}, ${formatDuration(totalMs)} in total, from ${providerLabels[collection.provider]}.`,
  );
  if (collection.truncated) {
    lines.push(
      collection.total > count
        ? `Cut: only ${count} of ${collection.total} tracks are listed.`
        : `Cut: only the first ${count} tracks are listed; the playlist may have more.`,
    );
  }
  if (collection.notes.length > 0) {
    lines.push("Notes:", ...collection.notes.map((n) => `- ${n}`));
  }
  return lines.join("\n");
}
