/**
 * The emulated Spotify catalog: a small, fixed world of tracks, albums and playlists that the Spotify
 * emulator serves and that the other emulators, the demo and the tests refer to by name (`demoAlbum`,
 * `bigPlaylist`…), with the lookups by id and the {@link Track} the core should build from a catalog track.
 * Everything is deterministic: ids, ISRCs and durations are the same on every run. It is one concern, the
 * fixture data, and one file on purpose: the playlists are cut from the albums' tracks by position and the
 * lookups index all of them, so the whole world is read and changed in one place.
 */
import type { Track } from "../../core/spotify/types.js";

export interface CatalogTrack {
  /** 22 base62 characters, like Spotify's. */
  id: string;
  title: string;
  artists: string[];
  albumId: string;
  album: string;
  albumArtist: string;
  trackNumber: number;
  discNumber: number;
  /** Between 30 s and 4 min. */
  durationMs: number;
  isrc: string;
  explicit: boolean;
  /** `YYYY-MM-DD` */
  releaseDate: string;
  albumUpc: string;
  /** Path of the cover on the emulator: `/image/{albumId}.jpg`. */
  coverPath: string;
}

export interface CatalogAlbum {
  id: string;
  name: string;
  artists: string[];
  releaseDate: string;
  upc: string;
  label: string;
  tracks: CatalogTrack[];
  coverPath: string;
}

export interface CatalogPlaylist {
  id: string;
  name: string;
  description: string;
  owner: { id: string; displayName: string };
  /**
   * Whether the emulated app owner owns it. Under client credentials no playlist is readable through the
   * Web API (403), as for development-mode apps since 2026; owned ones open only when the emulator is told
   * the owner authorised the app (`setOwnerAuthorised`, for a future owner login). All are readable through
   * the embed page.
   */
  ownedByApp: boolean;
  tracks: CatalogTrack[];
  coverPath: string;
  /**
   * How the Web API pages it when the listing misbehaves (a hostile or broken server; absent: as Spotify
   * does). `loops`: every page's `next` points back to the page itself. `trickles`: one row per page
   * whatever `limit` asks, a `total` that claims 1, and a `next` to the following row.
   */
  listing?: "loops" | "trickles";
}

/** Build a readable 22-character base62 id from a label: `demoAlbum` -> `demoAlbum0000000000000`. */
export function fixtureId(label: string): string {
  if (!/^[0-9A-Za-z]{1,22}$/.test(label)) throw new Error(`bad fixture id label: ${label}`);
  return label.padEnd(22, "0");
}

interface TrackSpec {
  title: string;
  seconds: number;
  artists?: string[];
  explicit?: boolean;
}

interface AlbumSpec {
  label: string;
  name: string;
  artists: string[];
  releaseDate: string;
  upc: string;
  recordLabel: string;
  isrcPrefix: string;
  tracks: TrackSpec[];
}

function makeAlbum(spec: AlbumSpec): CatalogAlbum {
  const id = fixtureId(spec.label);
  const coverPath = `/image/${id}.jpg`;
  const tracks = spec.tracks.map((t, i): CatalogTrack => ({
    id: fixtureId(`${spec.label}T${String(i + 1).padStart(2, "0")}`),
    title: t.title,
    artists: t.artists ?? spec.artists,
    albumId: id,
    album: spec.name,
    albumArtist: spec.artists[0] ?? "",
    trackNumber: i + 1,
    discNumber: 1,
    durationMs: Math.round(t.seconds * 1000),
    isrc: `${spec.isrcPrefix}${String(i + 1).padStart(5, "0")}`,
    explicit: t.explicit ?? false,
    releaseDate: spec.releaseDate,
    albumUpc: spec.upc,
    coverPath,
  }));
  return {
    id,
    name: spec.name,
    artists: spec.artists,
    releaseDate: spec.releaseDate,
    upc: spec.upc,
    label: spec.recordLabel,
    tracks,
    coverPath,
  };
}

/** Five short tracks, 5:08 in total: what the demo downloads. Latin titles with diacritics. */
export const demoAlbum: CatalogAlbum = makeAlbum({
  label: "demoAlbum",
  name: "Façades & Fjords",
  artists: ["Léa Marchand"],
  releaseDate: "2021-05-14",
  upc: "019029600017",
  recordLabel: "Émeraude Records",
  isrcPrefix: "FRX2121",
  tracks: [
    { title: "Café au Lait", seconds: 34.2 },
    { title: "Über den Fjord", seconds: 47.8, artists: ["Léa Marchand", "Jørgen Ås"] },
    { title: "Señal de Humo", seconds: 58.4 },
    { title: "Déjà Vu à Montréal", seconds: 71.9 },
    { title: "Ça Ira", seconds: 95.3 },
  ],
});

/** Ten tracks with Cyrillic titles. */
export const cyrillicAlbum: CatalogAlbum = makeAlbum({
  label: "cyrillicAlbum",
  name: "Белые ночи",
  artists: ["Ансамбль «Северный ветер»"],
  releaseDate: "2019-11-01",
  upc: "046010000104",
  recordLabel: "Мелодия Севера",
  isrcPrefix: "RUA1919",
  tracks: [
    { title: "Невский проспект", seconds: 183.4 },
    { title: "Разводные мосты", seconds: 201.9 },
    { title: "Утро на Неве", seconds: 96.3 },
    { title: "Зимний дворец", seconds: 239.0 },
    { title: "Белая ночь", seconds: 152.7 },
    { title: "Ветер с залива", seconds: 64.1 },
    { title: "Летний сад", seconds: 118.8, artists: ["Ансамбль «Северный ветер»", "Ирина Лебедева"] },
    { title: "Фонтанка", seconds: 175.2 },
    { title: "Питерский дождь", seconds: 221.5 },
    { title: "Колыбельная", seconds: 88.6 },
  ],
});

/** Japanese titles; one explicit track. */
export const japaneseAlbum: CatalogAlbum = makeAlbum({
  label: "japaneseAlbum",
  name: "夜の散歩",
  artists: ["月見バンド"],
  releaseDate: "2023-09-09",
  upc: "045020000230",
  recordLabel: "月光レコード",
  isrcPrefix: "JPA1023",
  tracks: [
    { title: "東京の雨", seconds: 143.2, explicit: true },
    { title: "桜並木", seconds: 52.9 },
    { title: "真夜中のコーヒー", seconds: 187.6 },
    { title: "さよなら、夏", seconds: 226.3 },
  ],
});

/** The same song twice: explicit and clean, with their own ISRCs and slightly different lengths. */
export const twinSingle: CatalogAlbum = makeAlbum({
  label: "twinSingle",
  name: "Midnight Static",
  artists: ["The Loud Quiet"],
  releaseDate: "2022-02-22",
  upc: "060270000022",
  recordLabel: "Static Lane",
  isrcPrefix: "GBL2222",
  tracks: [
    { title: "Midnight Static", seconds: 131.0, explicit: true },
    { title: "Midnight Static", seconds: 131.4, explicit: false },
  ],
});

/** The explicit one of the twins. */
export const explicitTwin: CatalogTrack = twinSingle.tracks[0]!;
/** The clean one of the twins (same title). */
export const cleanTwin: CatalogTrack = twinSingle.tracks[1]!;

const archivists = ["Ada Novak", "Bruno Keller", "Chiara Rossi", "Dmitri Volkov"];

/**
 * Eight generated albums, the material of the big playlists: volume 1 has 60 tracks (more than one page
 * of album tracks), the others 20.
 */
export const archiveAlbums: CatalogAlbum[] = Array.from({ length: 8 }, (_, a) =>
  makeAlbum({
    label: `archiveVol${a + 1}`,
    name: a === 0 ? "Archive Sessions, Vol. 1 (Complete)" : `Archive Sessions, Vol. ${a + 1}`,
    artists: ["Various Archivists"],
    releaseDate: `201${a}-0${(a % 9) + 1}-15`,
    upc: `0777000000${String(a + 1).padStart(2, "0")}`,
    recordLabel: "Archive Hall",
    isrcPrefix: `DEA201${a}`,
    tracks: Array.from({ length: a === 0 ? 60 : 20 }, (_, t) => ({
      title: `Take ${a + 1}.${t + 1}`,
      // 30 s to just under 4 min, spread out so neighbours differ.
      seconds: 30 + ((a * 37 + t * 53) % 209) + t * 0.013,
      artists: [archivists[(a + t) % archivists.length]!],
    })),
  }),
);

/**
 * Two albums of ten very short tracks (4-13 s), so tests and benchmarks can run whole albums and a
 * 20-track playlist in seconds.
 */
export const shortAlbums: CatalogAlbum[] = [1, 2].map((n) =>
  makeAlbum({
    label: `shortAlbum${n}`,
    name: n === 1 ? "Zehn kleine Stücke" : "Dix petites pièces",
    artists: [n === 1 ? "Kleine Kapelle" : "Petit Ensemble"],
    releaseDate: `202${n}-03-0${n}`,
    upc: `04000000000${n}0`,
    recordLabel: "Miniature Records",
    isrcPrefix: `DEK252${n}`,
    tracks: Array.from({ length: 10 }, (_, t) => ({
      title: n === 1 ? `Stück Nr. ${t + 1}` : `Pièce n° ${t + 1}`,
      seconds: 4.5 + ((t * 7 + n * 3) % 9) + t * 0.1,
    })),
  }),
);
/** Ten tracks of 4-13 s. */
export const shortAlbum: CatalogAlbum = shortAlbums[0]!;

/** Two tracks of 5-6 s: another person's small album, for the fairness tests. */
export const shortSingle: CatalogAlbum = makeAlbum({
  label: "shortSingle",
  name: "Deux minutes",
  artists: ["Duo Bref"],
  releaseDate: "2024-06-21",
  upc: "040000000300",
  recordLabel: "Miniature Records",
  isrcPrefix: "FRB2424",
  tracks: [
    { title: "Aller", seconds: 5.2 },
    { title: "Retour", seconds: 6.1 },
  ],
});

/**
 * 5,000 generated tracks of 4-9 s, the material of the huge playlist: served by the Web API (as an album
 * too) and the embed page, but left out of {@link albums} so the audio stand-in and every test stack stay
 * light; a test that downloads some adds those to the audio stand-in itself.
 */
export const endlessAlbum: CatalogAlbum = makeAlbum({
  label: "endlessAlbum",
  name: "The Endless Archive",
  artists: ["Endless Choir"],
  releaseDate: "2025-01-01",
  upc: "077700000900",
  recordLabel: "Archive Hall",
  isrcPrefix: "DEE2525",
  tracks: Array.from({ length: 5000 }, (_, t) => ({
    title: `Endless Take ${t + 1}`,
    seconds: 4 + ((t * 37) % 50) / 10 + (t % 97) * 0.001,
  })),
});

/**
 * Names that push the file system: an album whose CJK title is over 200 UTF-8 bytes (a long first track
 * title too), and a long classical box set with long movement titles. Short tracks (4-6 s), so whole
 * collections run in seconds.
 */
export const longCjkAlbum: CatalogAlbum = makeAlbum({
  label: "longCjkAlbum",
  name: "夜明け前の静かな街角で君の名前を呼んだ日のことを今でも時々思い出しては胸が締め付けられるような気持ちになるけれど僕は前に進むと決めたのだ",
  artists: ["東京フィルハーモニー交響楽団と仲間たち"],
  releaseDate: "2024-04-04",
  upc: "045020000404",
  recordLabel: "月光レコード",
  isrcPrefix: "JPA2404",
  tracks: [
    {
      title:
        "第一楽章：夜明け前の静かな街角で君の名前を呼んだ日のことを今でも時々思い出しては胸が締め付けられる",
      seconds: 4.2,
    },
    { title: "第二楽章：前へ", seconds: 5.1 },
  ],
});

/** A classical box set with a 160-character name and movement titles over 100 characters. */
export const longClassicalAlbum: CatalogAlbum = makeAlbum({
  label: "longClassicalAlbum",
  name: "Beethoven: The Nine Symphonies, the Piano Concertos and the Missa Solemnis - Complete Recordings (Wiener Philharmoniker, Karl Böhm, 1970-1979, Remastered Deluxe)",
  artists: ["Wiener Philharmoniker"],
  releaseDate: "1979-09-01",
  upc: "028947900091",
  recordLabel: "Archiv der Klassik",
  isrcPrefix: "ATA7909",
  tracks: [
    {
      title:
        'Symphony No. 9 in D minor, Op. 125 "Choral": IV. Presto, Allegro assai, Allegro assai vivace alla marcia, Andante maestoso, Adagio ma non troppo',
      seconds: 4.6,
    },
    {
      title:
        'Symphony No. 9 in D minor, Op. 125 "Choral": III. Adagio molto e cantabile, Andante moderato, Tempo I, Adagio, Lo stesso tempo',
      seconds: 5.4,
    },
  ],
});

/** Every album of the catalog. */
export const albums: CatalogAlbum[] = [
  demoAlbum,
  cyrillicAlbum,
  japaneseAlbum,
  twinSingle,
  ...shortAlbums,
  shortSingle,
  ...archiveAlbums,
  longCjkAlbum,
  longClassicalAlbum,
];

const archiveTracks = archiveAlbums.flatMap((a) => a.tracks);

function makePlaylist(
  label: string,
  name: string,
  owner: { id: string; displayName: string },
  ownedByApp: boolean,
  tracks: CatalogTrack[],
  id = fixtureId(label),
): CatalogPlaylist {
  return {
    id,
    name,
    description: `${name} (emulated)`,
    owner,
    ownedByApp,
    tracks,
    coverPath: `/image/${tracks[0]?.albumId ?? id}.jpg`,
  };
}

const appOwner = { id: "cdc-demo-owner", displayName: "CD-Collector Demo" };

/** A small playlist mixing all scripts, owned by the app (readable by the API only with owner authorisation). */
export const roadTripPlaylist: CatalogPlaylist = makePlaylist(
  "roadTripPlaylist",
  "Road Trip Mix",
  appOwner,
  true,
  [
    demoAlbum.tracks[0]!,
    cyrillicAlbum.tracks[2]!,
    japaneseAlbum.tracks[1]!,
    explicitTwin,
    demoAlbum.tracks[3]!,
    cyrillicAlbum.tracks[5]!,
    japaneseAlbum.tracks[0]!,
    cleanTwin,
  ],
);

/** Twenty short tracks (both short albums, interleaved), owned by the app: the pipeline benchmark's playlist. */
export const sprintPlaylist: CatalogPlaylist = makePlaylist(
  "sprintPlaylist",
  "Sprint",
  appOwner,
  true,
  Array.from({ length: 20 }, (_, i) => shortAlbums[i % 2]!.tracks[Math.floor(i / 2)]!),
);

/**
 * Twelve short tracks (both short albums, interleaved), owned by the app: more than one Telegram album
 * (10), for the chat tests of tracks sent as they are ready.
 */
export const dozenPlaylist: CatalogPlaylist = makePlaylist(
  "dozenPlaylist",
  "A Dozen",
  appOwner,
  true,
  Array.from({ length: 12 }, (_, i) => shortAlbums[(i + 1) % 2]!.tracks[Math.floor(i / 2) + 2]!),
);

/** 170 tracks, owned by the app: two pages from the API with owner authorisation, cut at 100 on the embed page. */
export const bigPlaylist: CatalogPlaylist = makePlaylist(
  "bigPlaylist",
  "Everything, Shuffled",
  appOwner,
  true,
  // 7 and the 200 archive tracks share no factor, so no track comes twice.
  Array.from({ length: 170 }, (_, i) => archiveTracks[(i * 7) % archiveTracks.length]!),
);

/** Someone else's playlist: the API answers 403 (even with owner authorisation), the embed page reads it. */
export const notOwnedPlaylist: CatalogPlaylist = makePlaylist(
  "notOwnedPlaylist",
  "Someone Else's Favourites",
  { id: "another-listener", displayName: "Another Listener" },
  false,
  [
    cyrillicAlbum.tracks[0]!,
    demoAlbum.tracks[1]!,
    japaneseAlbum.tracks[2]!,
    demoAlbum.tracks[4]!,
    cyrillicAlbum.tracks[9]!,
    explicitTwin,
  ],
);

/** Someone else's playlist of 120 tracks: 403 from the API, cut at 100 by the embed page. */
export const bigNotOwnedPlaylist: CatalogPlaylist = makePlaylist(
  "bigNotOwnedPlaylist",
  "Long Drive (Someone Else's)",
  { id: "another-listener", displayName: "Another Listener" },
  false,
  archiveTracks.slice(60, 180),
);

/** A Spotify editorial playlist (id starts with 37i9dQZF): closed to new apps' Web API, open on the embed page. */
export const editorialPlaylist: CatalogPlaylist = makePlaylist(
  "editorialPlaylist",
  "Today's Top Hits (emulated)",
  { id: "spotify", displayName: "Spotify" },
  false,
  [
    japaneseAlbum.tracks[3]!,
    demoAlbum.tracks[2]!,
    cyrillicAlbum.tracks[4]!,
    twinSingle.tracks[0]!,
    archiveTracks[3]!,
  ],
  "37i9dQZF1DXcBWIGoYBM5M",
);

/** A playlist with a 300-character classical title: the box set's two long movements. */
export const longTitlePlaylist: CatalogPlaylist = makePlaylist(
  "longTitlePlaylist",
  'Symphony No. 9 in D minor, Op. 125 "Choral": I. Allegro ma non troppo, un poco maestoso; II. Molto vivace - Presto; III. Adagio molto e cantabile - Andante moderato; IV. Presto - Allegro assai - "O Freunde, nicht diese Töne!" (Live at the Musikverein, Wien, 1979 - Remastered 2024 Deluxe Box Edition)',
  { id: "another-listener", displayName: "Another Listener" },
  false,
  [...longClassicalAlbum.tracks],
);

/** Two people's playlists with the same name (one short track each): each needs a folder of its own. */
export const sameNamePlaylists: CatalogPlaylist[] = [
  makePlaylist("chillOfAda", "Chill", { id: "ada", displayName: "Ada" }, false, [shortAlbums[0]!.tracks[0]!]),
  makePlaylist("chillOfBruno", "Chill", { id: "bruno", displayName: "Bruno" }, false, [
    shortAlbums[1]!.tracks[0]!,
  ]),
];

/** 5,000 tracks, owned by the app: far over any sensible cap, 50 pages from the API, 100 on the embed page. */
export const hugePlaylist: CatalogPlaylist = makePlaylist(
  "hugePlaylist",
  "Everything, Forever",
  appOwner,
  true,
  endlessAlbum.tracks,
);

/** Three short tracks, owned by the app, whose Web API pages each point `next` back to themselves. */
export const loopingPlaylist: CatalogPlaylist = {
  ...makePlaylist("loopingPlaylist", "Round and Round", appOwner, true, shortAlbums[1]!.tracks.slice(0, 3)),
  listing: "loops",
};

/** Owned by the app; the Web API hands it out one row a page with a `total` of 1, through 5,000 tracks. */
export const tricklingPlaylist: CatalogPlaylist = {
  ...makePlaylist("tricklingPlaylist", "Drip, Drip", appOwner, true, endlessAlbum.tracks),
  listing: "trickles",
};

/** Every playlist of the catalog. */
export const playlists: CatalogPlaylist[] = [
  roadTripPlaylist,
  sprintPlaylist,
  dozenPlaylist,
  bigPlaylist,
  notOwnedPlaylist,
  bigNotOwnedPlaylist,
  editorialPlaylist,
  longTitlePlaylist,
  ...sameNamePlaylists,
  hugePlaylist,
  loopingPlaylist,
  tricklingPlaylist,
];

/** Every track of the catalog, by id. */
export const tracksById: ReadonlyMap<string, CatalogTrack> = new Map(
  [...albums, endlessAlbum].flatMap((a) => a.tracks).map((t) => [t.id, t]),
);
export const albumsById: ReadonlyMap<string, CatalogAlbum> = new Map(
  [...albums, endlessAlbum].map((a) => [a.id, a]),
);
export const playlistsById: ReadonlyMap<string, CatalogPlaylist> = new Map(playlists.map((p) => [p.id, p]));

/** An artist id that exists only to test "artist pages are not supported". */
export const artistId = fixtureId("someArtist");

/**
 * The {@link Track} the core would build for a catalog track; `baseUrl` is the emulator's URL (covers
 * are served by the emulator itself).
 */
export function catalogTrackToTrack(track: CatalogTrack, baseUrl: string): Track {
  return {
    id: track.id,
    title: track.title,
    artists: [...track.artists],
    album: track.album,
    albumArtist: track.albumArtist,
    trackNumber: track.trackNumber,
    discNumber: track.discNumber,
    durationMs: track.durationMs,
    isrc: track.isrc,
    explicit: track.explicit,
    releaseDate: track.releaseDate,
    coverUrl: `${baseUrl.replace(/\/+$/, "")}${track.coverPath}`,
    albumUpc: track.albumUpc,
  };
}
