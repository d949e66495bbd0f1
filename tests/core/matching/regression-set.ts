/**
 * Labelled matching cases: a Spotify track, what a YouTube / YouTube Music search would plausibly return,
 * and the id that is the same recording, or null when none of them is (or none can be verified): then the
 * right answer is "no confident choice".
 *
 * Titles, channels and lengths follow what real uploads look like (Topic channels, VEVO, lyric channels,
 * karaoke and nightcore re-uploads); ids are made up.
 */
import type { Candidate } from "../../../src/core/matching/types.js";
import type { Track } from "../../../src/core/spotify/types.js";

export interface RegressionCase {
  name: string;
  track: Track;
  candidates: Candidate[];
  /** The right pick, or null when no candidate may be picked with confidence. */
  expectedId: string | null;
}

let trackCounter = 0;

function track(
  title: string,
  artists: string | string[],
  durationSec: number,
  extra: Partial<Track> = {},
): Track {
  const list = typeof artists === "string" ? [artists] : artists;
  trackCounter++;
  return {
    id: `track${String(trackCounter).padStart(17, "0")}`,
    title,
    artists: list,
    album: title,
    albumArtist: list[0] ?? "",
    trackNumber: 1,
    discNumber: 1,
    durationMs: Math.round(durationSec * 1000),
    explicit: false,
    ...extra,
  };
}

/** Candidate with id = label padded to 11 characters (labels are unique within a case). */
function c(
  label: string,
  title: string,
  channel: string,
  durationSec?: number,
  views?: number,
  via: Candidate["via"] = "video",
): Candidate {
  const cand: Candidate = { id: id(label), title, channel, via };
  if (durationSec !== undefined) cand.durationSec = durationSec;
  if (views !== undefined) cand.views = views;
  return cand;
}

export function id(label: string): string {
  if (label.length > 11) throw new Error(`label too long: ${label}`);
  return label.padEnd(11, "0");
}

export const regressionSet: RegressionCase[] = [
  // --- Topic vs official video vs lyric uploads ---------------------------------------------------------
  {
    name: "Topic upload beats the official video with an intro",
    track: track("Blinding Lights", "The Weeknd", 200),
    candidates: [
      c("vevo", "The Weeknd - Blinding Lights (Official Video)", "TheWeekndVEVO", 263, 900_000_000),
      c("lyric", "The Weeknd - Blinding Lights (Lyrics)", "7clouds", 203, 80_000_000),
      c("slowed", "The Weeknd - Blinding Lights (slowed + reverb)", "slowed vibes", 251, 3_000_000),
      c("topic", "Blinding Lights", "The Weeknd - Topic", 200, 600_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "official audio on the artist channel when there is no Topic upload",
    track: track("Levitating", "Dua Lipa", 203),
    candidates: [
      c("mv", "Dua Lipa - Levitating Featuring DaBaby (Official Music Video)", "Dua Lipa", 240, 500_000_000),
      c("audio", "Dua Lipa - Levitating (Official Audio)", "Dua Lipa", 204, 90_000_000),
      c("lyric", "Levitating - Dua Lipa (Lyrics)", "Taj Tracks", 208, 30_000_000),
      c("nightcore", "Nightcore - Levitating", "Nightcore Nation", 170, 1_000_000),
    ],
    expectedId: id("audio"),
  },
  {
    name: "lyric upload is acceptable when it is the only studio version",
    track: track("Rolling in the Deep", "Adele", 228),
    candidates: [
      c("karaoke", "Rolling in the Deep (Karaoke Version)", "Sing King", 228, 20_000_000),
      c("inst", "Rolling In The Deep - Adele (Instrumental)", "Instrumental Hits", 229, 500_000),
      c("lyric", "Adele - Rolling in the Deep (Lyrics)", "Lyrics Hub", 229, 8_000_000),
    ],
    expectedId: id("lyric"),
  },
  {
    name: "Topic beats a VEVO upload whose length is 13 s off",
    track: track("Believer", "Imagine Dragons", 204),
    candidates: [
      c(
        "vevo",
        "Imagine Dragons - Believer (Official Music Video)",
        "ImagineDragonsVEVO",
        217,
        2_500_000_000,
      ),
      c("kaskade", "Believer (Kaskade Remix)", "Imagine Dragons - Topic", 221, 5_000_000),
      c("ozzy", "Believer", "Ozzy Osbourne - Topic", 317, 4_000_000),
      c("topic", "Believer", "Imagine Dragons - Topic", 204, 300_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "apostrophe variants and an 'Official' channel",
    track: track("Don't Stop Me Now - Remastered 2011", "Queen", 209),
    candidates: [
      c("cover", "Dont Stop Me Now (Cover)", "Garage Band Covers", 211, 90_000),
      c("official", "Queen - Don’t Stop Me Now (Official Video)", "Queen Official", 212, 900_000_000),
      c("live", "Queen - Don't Stop Me Now (Live at Hammersmith 1979)", "Queen Official", 215, 3_000_000),
    ],
    expectedId: id("official"),
  },
  {
    name: "float durations from yt-dlp",
    track: track("Smells Like Teen Spirit", "Nirvana", 301.92),
    candidates: [
      c(
        "mv",
        "Nirvana - Smells Like Teen Spirit (Official Music Video)",
        "NirvanaVEVO",
        279.2,
        1_800_000_000,
      ),
      c("topic", "Smells Like Teen Spirit", "Nirvana - Topic", 301.5, 200_000_000, "music"),
      c("live", "Nirvana - Smells Like Teen Spirit (Live at Reading 1992)", "Nirvana", 309.1, 30_000_000),
    ],
    expectedId: id("topic"),
  },

  // --- remixes vs originals ------------------------------------------------------------------------------
  {
    name: "original wanted, remixes offered",
    track: track("Titanium (feat. Sia)", ["David Guetta", "Sia"], 245),
    candidates: [
      c("alesso", "David Guetta - Titanium ft. Sia (Alesso Remix)", "David Guetta", 330, 10_000_000),
      c("nightcore", "Nightcore - Titanium", "NightcoreReality", 200, 5_000_000),
      c("mv", "David Guetta ft. Sia - Titanium (Official Video)", "David Guetta", 248, 1_200_000_000),
      c("topic", "Titanium (feat. Sia)", "David Guetta - Topic", 245, 90_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "remix wanted: the original is rejected",
    track: track("Levels - Skrillex Remix", ["Avicii", "Skrillex"], 282),
    candidates: [
      c("orig", "Levels", "Avicii - Topic", 202, 100_000_000, "music"),
      c("radio", "Avicii - Levels", "AviciiOfficialVEVO", 199, 600_000_000),
      c("skrillex", "Avicii - Levels (Skrillex Remix)", "Skrillex", 283, 40_000_000),
    ],
    expectedId: id("skrillex"),
  },
  {
    name: "remix wanted: the right remixer beats another remix of the same length",
    track: track("Don't Start Now - Purple Disco Machine Remix", "Dua Lipa", 279),
    candidates: [
      c("kungs", "Don't Start Now (Kungs Remix)", "Dua Lipa - Topic", 280, 2_000_000, "music"),
      c("mv", "Dua Lipa - Don't Start Now (Official Music Video)", "Dua Lipa", 183, 700_000_000),
      c("pdm", "Don't Start Now (Purple Disco Machine Remix)", "Dua Lipa - Topic", 279, 10_000_000, "music"),
    ],
    expectedId: id("pdm"),
  },
  {
    name: "only remixes of the original: nothing to pick",
    track: track("Clarity", ["Zedd", "Foxes"], 271),
    candidates: [
      c("tiesto", "Zedd - Clarity (Tiësto Remix)", "Zedd", 275, 5_000_000),
      c("acoustic", "Zedd - Clarity (Acoustic) ft. Foxes", "Zedd", 268, 2_000_000),
      c("nightcore", "Nightcore - Clarity", "Nightcore Nation", 210, 2_000_000),
    ],
    expectedId: null,
  },
  {
    name: "remix with 'feat.' and a bracketed remix tag",
    track: track("Old Town Road (feat. Billy Ray Cyrus) - Remix", ["Lil Nas X", "Billy Ray Cyrus"], 157),
    candidates: [
      c(
        "movie",
        "Lil Nas X - Old Town Road (Official Movie) ft. Billy Ray Cyrus",
        "Lil Nas X",
        282,
        1_000_000_000,
      ),
      c("orig", "Old Town Road", "Lil Nas X - Topic", 113, 300_000_000, "music"),
      c(
        "remix",
        "Old Town Road (feat. Billy Ray Cyrus) [Remix]",
        "Lil Nas X - Topic",
        157,
        400_000_000,
        "music",
      ),
    ],
    expectedId: id("remix"),
  },
  {
    name: "'(with X)' plus a remix qualifier",
    track: track("Die For You (with Ariana Grande) - Remix", ["The Weeknd", "Ariana Grande"], 232),
    candidates: [
      c("mv", "The Weeknd - Die For You (Official Music Video)", "The Weeknd", 280, 100_000_000),
      c("orig", "Die For You", "The Weeknd - Topic", 260, 800_000_000, "music"),
      c(
        "remix",
        "The Weeknd & Ariana Grande - Die For You (Remix) (Official Lyric Video)",
        "The Weeknd",
        233,
        50_000_000,
      ),
    ],
    expectedId: id("remix"),
  },

  // --- live vs studio ------------------------------------------------------------------------------------
  {
    name: "'Live' in the song name is not a live version",
    track: track("Live Forever - Remastered", "Oasis", 277),
    candidates: [
      c("knebworth", "Oasis - Live Forever (Live at Knebworth 1996)", "Oasis", 284, 8_000_000),
      c("mv", "Oasis - Live Forever (Official HD Remastered Video)", "Oasis", 282, 60_000_000),
      c("topic", "Live Forever (Remastered)", "Oasis - Topic", 277, 50_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "studio wanted: Live Aid upload rejected",
    track: track("Bohemian Rhapsody - Remastered 2011", "Queen", 354),
    candidates: [
      c("liveaid", "Queen - Bohemian Rhapsody (Live Aid 1985)", "Queen Official", 350, 300_000_000),
      c("mv", "Queen – Bohemian Rhapsody (Official Video Remastered)", "Queen Official", 359, 1_700_000_000),
      c("topic", "Bohemian Rhapsody (Remastered 2011)", "Queen - Topic", 354, 400_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "live wanted: the right concert beats another live recording",
    track: track("Bohemian Rhapsody - Live Aid", "Queen", 348),
    candidates: [
      c("studio", "Bohemian Rhapsody (Remastered 2011)", "Queen - Topic", 354, 400_000_000, "music"),
      c(
        "wembley",
        "Queen - Bohemian Rhapsody (Live at Wembley Stadium, 1986)",
        "Queen Official",
        346,
        90_000_000,
      ),
      c("liveaid", "Queen - Bohemian Rhapsody (Live Aid 1985)", "Queen Official", 350, 300_000_000),
    ],
    expectedId: id("liveaid"),
  },
  {
    name: "live wanted: a Topic live album track",
    track: track("Hotel California - Live On MTV, 1994", "Eagles", 428),
    candidates: [
      c("live77", "Eagles - Hotel California (Live 1977) (Official Video) [HD]", "Eagles", 413, 300_000_000),
      c("studio", "Hotel California (2013 Remaster)", "Eagles - Topic", 391, 200_000_000, "music"),
      c("mtv", "Hotel California (Live On MTV, 1994)", "Eagles - Topic", 428, 40_000_000, "music"),
    ],
    expectedId: id("mtv"),
  },
  {
    name: "studio wanted, only live uploads found",
    track: track("Yellow", "Coldplay", 266),
    candidates: [
      c("ba", "Coldplay - Yellow (Live In Buenos Aires)", "Coldplay", 270, 20_000_000),
      c("glasto", "Coldplay - Yellow (Live at Glastonbury 2016)", "Coldplay", 262, 10_000_000),
      c("cover", "Yellow (Acoustic Cover)", "Jenny Plant", 265, 900_000),
    ],
    expectedId: null,
  },
  {
    name: "band named Live: its name is not a version word",
    track: track("Lightning Crashes", "LIVE", 325),
    candidates: [
      c(
        "woodstock",
        "Live - Lightning Crashes (Live at Woodstock 1999)",
        "Woodstock Archive",
        330,
        5_000_000,
      ),
      c("topic", "Lightning Crashes", "LIVE - Topic", 325, 60_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "version word inside the title: 'Cover Me Up'",
    track: track("Cover Me Up", "Jason Isbell", 322),
    candidates: [
      c("wallen", "Cover Me Up", "Morgan Wallen - Topic", 282, 100_000_000, "music"),
      c("live", "Cover Me Up (Live)", "Jason Isbell and the 400 Unit - Topic", 330, 2_000_000, "music"),
      c("topic", "Cover Me Up", "Jason Isbell - Topic", 322, 30_000_000, "music"),
    ],
    expectedId: id("topic"),
  },

  // --- covers --------------------------------------------------------------------------------------------
  {
    name: "the famous cover is not the Spotify original",
    track: track("Hallelujah", "Leonard Cohen", 279),
    candidates: [
      c("buckleymv", "Jeff Buckley - Hallelujah (Official Video)", "Jeff Buckley", 414, 300_000_000),
      c("buckley", "Hallelujah", "Jeff Buckley - Topic", 413, 200_000_000, "music"),
      c("ptx", "Pentatonix - Hallelujah", "PTXofficial", 268, 600_000_000),
      c("porat", "Hallelujah - Leonard Cohen (Cover by Alexandra Porat)", "Alexandra Porat", 280, 8_000_000),
      c("topic", "Hallelujah", "Leonard Cohen - Topic", 279, 100_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "only covers: nothing to pick",
    track: track("Someone Like You", "Adele", 285),
    candidates: [
      c("cover1", "Someone Like You - Adele (Cover by Daniela Andrade)", "Daniela Andrade", 280, 7_000_000),
      c("karaoke", "Someone Like You (Piano Karaoke Version)", "Sing King", 286, 30_000_000),
      c("boyce", "Someone Like You", "Boyce Avenue", 283, 40_000_000),
    ],
    expectedId: null,
  },
  {
    name: "covers and acoustic takes around the original",
    track: track("Creep", "Radiohead", 238),
    candidates: [
      c(
        "pmj",
        "Creep - Vintage Postmodern Jukebox Radiohead Cover ft. Haley Reinhart",
        "PostmodernJukebox",
        241,
        200_000_000,
      ),
      c("acoustic", "Radiohead - Creep (Acoustic)", "Radiohead Archive", 236, 4_000_000),
      c("topic", "Creep", "Radiohead - Topic", 239, 300_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "the Spotify track is itself a cover: the original is other artists",
    track: track("Hurt", "Johnny Cash", 218),
    candidates: [
      c("nin", "Hurt", "Nine Inch Nails - Topic", 373, 100_000_000, "music"),
      c("xtina", "Hurt", "Christina Aguilera - Topic", 243, 80_000_000, "music"),
      c("cash", "Johnny Cash - Hurt", "Johnny Cash", 218, 300_000_000),
    ],
    expectedId: id("cash"),
  },
  {
    name: "Japanese 'utattemita' cover uploads are covers",
    track: track("Lemon", "米津玄師", 255),
    candidates: [
      c("nerd", "Lemon", "N.E.R.D - Topic", 336, 80_000_000, "music"),
      c("utatte", "Lemon / 米津玄師 歌ってみた", "ぬゆり", 256, 3_000_000),
      c("cover", "米津玄師 - Lemon (cover)", "Piano Cover Channel", 254, 1_000_000),
      c("topic", "Lemon", "米津玄師 - Topic", 255, 500_000_000, "music"),
    ],
    expectedId: id("topic"),
  },

  // --- same title by other artists -----------------------------------------------------------------------
  {
    name: "many songs called Hello",
    track: track("Hello", "Adele", 295),
    candidates: [
      c("richie", "Hello", "Lionel Richie - Topic", 250, 200_000_000, "music"),
      c("evanesc", "Hello", "Evanescence - Topic", 220, 30_000_000, "music"),
      c("mv", "Adele - Hello (Official Music Video)", "Adele", 367, 3_000_000_000),
      c("topic", "Hello", "Adele - Topic", 295, 400_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "same title, same length, other artist: not confident",
    track: track("Stay (feat. Mikky Ekko)", ["Rihanna", "Mikky Ekko"], 240),
    candidates: [
      c("laroi", "Stay", "The Kid LAROI - Topic", 141, 900_000_000, "music"),
      c("zedd", "Stay", "Zedd - Topic", 210, 200_000_000, "music"),
      c("sugarland", "Stay", "Sugarland - Topic", 238, 20_000_000, "music"),
    ],
    expectedId: null,
  },
  {
    name: "same title by another producer with a close length",
    track: track("Faded", "Alan Walker", 212),
    candidates: [
      c("zhu", "Faded", "ZHU - Topic", 223, 100_000_000, "music"),
      c("aw", "Alan Walker - Faded", "Alan Walker", 212, 3_500_000_000),
      c("piano", "Alan Walker - Faded (Piano Cover)", "Piano Tutorials", 214, 3_000_000),
    ],
    expectedId: id("aw"),
  },
  {
    name: "'Numb' by Linkin Park vs Marshmello and a mashup",
    track: track("Numb", "Linkin Park", 187),
    candidates: [
      c("marsh", "Numb", "Marshmello - Topic", 180, 50_000_000, "music"),
      c("encore", "Numb / Encore", "JAY-Z & Linkin Park - Topic", 205, 100_000_000, "music"),
      c("mv", "Numb [Official Music Video] - Linkin Park", "Linkin Park", 188, 2_000_000_000),
    ],
    expectedId: id("mv"),
  },
  {
    name: "mashup on the right artist's channel with the right length",
    track: track("Numb", "Linkin Park", 187),
    candidates: [
      c("encore", "Numb / Encore", "JAY-Z & Linkin Park - Topic", 190, 100_000_000, "music"),
      c("medley", "Linkin Park - Numb | In The End | Faint (Medley)", "LP Fans", 186, 1_000_000),
    ],
    expectedId: null,
  },
  {
    name: "longer song whose title starts with the Spotify title",
    track: track("Yesterday - Remastered 2009", "The Beatles", 125),
    candidates: [c("carpenter", "The Beatles - Yesterday Once More", "Oldies Channel", 127, 200_000)],
    expectedId: null,
  },
  {
    name: "similar title: Yesterday vs Yesterday Once More",
    track: track("Yesterday - Remastered 2009", "The Beatles", 125),
    candidates: [
      c("carpenter", "Yesterday Once More", "Carpenters - Topic", 233, 100_000_000, "music"),
      c("leona", "Yesterday", "Leona Lewis - Topic", 211, 10_000_000, "music"),
      c("live", "The Beatles - Yesterday (Live At The Budokan)", "Beatles Archive", 130, 2_000_000),
      c("topic", "Yesterday (Remastered 2009)", "The Beatles - Topic", 125, 150_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "right artist, wrong song: not confident",
    track: track("Photograph", "Ed Sheeran", 258),
    candidates: [
      c("perfect", "Ed Sheeran - Perfect (Official Music Video)", "Ed Sheeran", 263, 3_000_000_000),
      c("nickel", "Photograph", "Nickelback - Topic", 259, 100_000_000, "music"),
    ],
    expectedId: null,
  },
  {
    name: "Halo by Beyoncé vs Halo by Depeche Mode",
    track: track("Halo", "Beyoncé", 261),
    candidates: [
      c("dm", "Halo", "Depeche Mode - Topic", 271, 10_000_000, "music"),
      c("vevo", "Beyonce - Halo", "beyonceVEVO", 263, 1_000_000_000),
    ],
    expectedId: id("vevo"),
  },
  {
    name: "Sorry by other artists only: not confident",
    track: track("Sorry", "Justin Bieber", 200),
    candidates: [
      c("madonna", "Sorry", "Madonna - Topic", 201, 10_000_000, "music"),
      c("halsey", "Sorry", "Halsey - Topic", 163, 50_000_000, "music"),
      c("bts", "Sorry (Karaoke Version) - Justin Bieber", "Sing King", 200, 30_000_000),
    ],
    expectedId: null,
  },

  // --- karaoke, nightcore, slowed, sped up, 8D, instrumental ---------------------------------------------
  {
    name: "re-upload zoo around Shape of You",
    track: track("Shape of You", "Ed Sheeran", 234),
    candidates: [
      c("karaoke", "Ed Sheeran - Shape of You (Karaoke Version)", "Sing King", 234, 50_000_000),
      c("nightcore", "Nightcore - Shape of You", "Nightcore Nation", 190, 10_000_000),
      c("8d", "Ed Sheeran - Shape of You (8D Audio)", "8D Tunes", 234, 30_000_000),
      c("mv", "Ed Sheeran - Shape of You (Official Music Video)", "Ed Sheeran", 263, 6_000_000_000),
      c("topic", "Shape of You", "Ed Sheeran - Topic", 234, 3_000_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "slowed and sped-up edits rejected",
    track: track("Heat Waves", "Glass Animals", 239),
    candidates: [
      c("slowed", "Glass Animals - Heat Waves (slowed + reverb)", "Slowed Town", 281, 80_000_000),
      c("sped", "heat waves (sped up)", "speed songs", 190, 20_000_000),
      c("topic", "Heat Waves", "Glass Animals - Topic", 239, 1_000_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "official sped-up version wanted",
    track: track("Heat Waves - Sped Up Version", "Glass Animals", 190),
    candidates: [
      c("orig", "Heat Waves", "Glass Animals - Topic", 239, 1_000_000_000, "music"),
      c("slowed", "Glass Animals - Heat Waves (Slowed)", "Slowed Town", 281, 80_000_000),
      c("fan", "heat waves sped up", "Sped Up Sounds", 188, 20_000_000),
      c("topic", "Heat Waves (Sped Up Version)", "Glass Animals - Topic", 190, 40_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "only 8D, nightcore and slowed uploads: nothing to pick",
    track: track("Another Love", "Tom Odell", 244),
    candidates: [
      c("8d", "Tom Odell - Another Love (8D AUDIO)", "8D Tunes", 244, 10_000_000),
      c("nightcore", "Another Love (Nightcore)", "Nightcore Nation", 200, 2_000_000),
      c("slowed", "tom odell - another love (slowed)", "Slowed Town", 280, 20_000_000),
    ],
    expectedId: null,
  },
  {
    name: "instrumental wanted: vocal version rejected",
    track: track("Stressed Out - Instrumental", "Twenty One Pilots", 202),
    candidates: [
      c("vocal", "Stressed Out", "Twenty One Pilots - Topic", 202, 900_000_000, "music"),
      c("karaoke", "Twenty One Pilots - Stressed Out (Karaoke Version)", "Sing King", 203, 5_000_000),
      c("inst", "Stressed Out (Instrumental)", "Twenty One Pilots - Topic", 202, 3_000_000, "music"),
    ],
    expectedId: id("inst"),
  },
  {
    name: "acoustic version wanted",
    track: track("Bad Habits - Acoustic Version", "Ed Sheeran", 226),
    candidates: [
      c("orig", "Bad Habits", "Ed Sheeran - Topic", 231, 500_000_000, "music"),
      c("mv", "Ed Sheeran - Bad Habits [Official Video]", "Ed Sheeran", 240, 700_000_000),
      c("acoustic", "Bad Habits (Acoustic Version)", "Ed Sheeran - Topic", 226, 10_000_000, "music"),
    ],
    expectedId: id("acoustic"),
  },
  {
    name: "bass boosted and lofi edits rejected",
    track: track("Lovely (with Khalid)", ["Billie Eilish", "Khalid"], 200),
    candidates: [
      c("bass", "Billie Eilish, Khalid - lovely (Bass Boosted)", "Bass Nation", 200, 3_000_000),
      c("lofi", "lovely - billie eilish (lofi remix)", "lofi girl fan", 210, 1_000_000),
      c("topic", "lovely (with Khalid)", "Billie Eilish - Topic", 200, 800_000_000, "music"),
    ],
    expectedId: id("topic"),
  },

  // --- non-Latin titles ----------------------------------------------------------------------------------
  {
    name: "Cyrillic title: Topic upload among covers and karaoke",
    track: track("Группа крови", "Кино", 286),
    candidates: [
      c("cover", "Кино - Группа крови (кавер)", "Гараж Бэнд", 280, 500_000),
      c("karaoke", "Группа крови - Кино (Караоке)", "Караоке Хиты", 286, 300_000),
      c("topic", "Группа крови", "Кино - Topic", 286, 30_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "Cyrillic title: romanised upload by the official channel",
    track: track("Группа крови", "Кино", 286),
    candidates: [
      c("other", "Kino - Zvezda po imeni Solntse", "Kino Official", 287, 40_000_000),
      c("roman", "Kino - Gruppa Krovi", "Kino Official", 287, 20_000_000),
    ],
    expectedId: id("roman"),
  },
  {
    name: "Cyrillic band with a live upload",
    track: track("Кукла колдуна", "Король и Шут", 200),
    candidates: [
      c("live", "Король и Шут - Кукла колдуна (Live)", "КиШ Архив", 210, 3_000_000),
      c("cover", "Korol i Shut - Kukla kolduna (cover)", "Metal Covers", 205, 500_000),
      c("aria", "Кукла колдуна", "Ария - Topic", 201, 100_000, "music"),
      c("official", "Король и Шут - Кукла колдуна", "Король и Шут", 203, 60_000_000),
    ],
    expectedId: id("official"),
  },
  {
    name: "Latin artist name on Spotify, Cyrillic upload",
    track: track("Хочешь?", "Zemfira", 263),
    candidates: [
      c("karaoke", "Zemfira - Khochesh (karaoke)", "Karaoke RU", 263, 200_000),
      c("official", "Земфира - Хочешь?", "Земфира", 265, 30_000_000),
    ],
    expectedId: id("official"),
  },
  {
    name: "Japanese title: Topic beats MV, cover and piano uploads",
    track: track("夜に駆ける", "YOASOBI", 261),
    candidates: [
      c("mv", "YOASOBI「夜に駆ける」 Official Music Video", "Ayase / YOASOBI", 263, 200_000_000),
      c("utatte", "夜に駆ける / YOASOBI 歌ってみた", "Some Singer", 262, 2_000_000),
      c("piano", "【ピアノ】夜に駆ける / YOASOBI", "Piano Ch", 250, 5_000_000),
      c("topic", "夜に駆ける", "YOASOBI - Topic", 261, 100_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "kana title: romanised lyric upload matches",
    track: track("うっせぇわ", "Ado", 204),
    candidates: [
      c("cover", "【Ado】うっせぇわ 歌ってみた", "Cover Person", 205, 1_000_000),
      c("inst", "うっせぇわ (Instrumental)", "Inst Uploads", 204, 500_000),
      c("roman", "Ado - Usseewa (Lyrics / Romaji)", "Lyrics JP", 204, 10_000_000),
    ],
    expectedId: id("roman"),
  },
  {
    name: "kanji title, only romanised uploads: cannot be verified",
    track: track("紅蓮華", "LiSA", 239),
    candidates: [
      c("mv", "LiSA - Gurenge (Official Music Video)", "LiSA Official YouTube", 240, 200_000_000),
      c("lyric", "Gurenge - LiSA (Lyrics)", "Anime Lyrics", 239, 10_000_000),
    ],
    expectedId: null,
  },
  {
    name: "katakana title with an instrumental twin",
    track: track("アイドル", "YOASOBI", 213),
    candidates: [
      c("english", "YOASOBI - Idol (English Version)", "YOASOBI", 213, 80_000_000),
      c("inst", "アイドル (Instrumental)", "YOASOBI - Topic", 213, 5_000_000, "music"),
      c("topic", "アイドル", "YOASOBI - Topic", 213, 300_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "Japanese live upload (ライブ) rejected",
    track: track("マリーゴールド", "あいみょん", 304),
    candidates: [
      c("live", "あいみょん - マリーゴールド【LIVE】", "あいみょん", 310, 20_000_000),
      c("karaoke", "【カラオケ】マリーゴールド / あいみょん", "カラオケ歌っちゃ王", 305, 3_000_000),
      c("mv", "あいみょん - マリーゴールド 【OFFICIAL MUSIC VIDEO】", "あいみょん", 306, 300_000_000),
    ],
    expectedId: id("mv"),
  },

  // --- explicit / clean ----------------------------------------------------------------------------------
  {
    name: "explicit on Spotify: the clean twin is penalised",
    track: track("HUMBLE.", "Kendrick Lamar", 177, { explicit: true }),
    candidates: [
      c("clean", "HUMBLE. (Clean)", "Kendrick Lamar - Topic", 177, 20_000_000, "music"),
      c("topic", "HUMBLE.", "Kendrick Lamar - Topic", 177, 500_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "clean on Spotify: the labelled clean twin wins",
    track: track("HUMBLE.", "Kendrick Lamar", 177, { explicit: false }),
    candidates: [
      c("topic", "HUMBLE.", "Kendrick Lamar - Topic", 177, 500_000_000, "music"),
      c("clean", "HUMBLE. (Clean)", "Kendrick Lamar - Topic", 177, 20_000_000, "music"),
    ],
    expectedId: id("clean"),
  },
  {
    name: "explicit wanted: clean lyric upload and long video lose",
    track: track("WAP (feat. Megan Thee Stallion)", ["Cardi B", "Megan Thee Stallion"], 187, {
      explicit: true,
    }),
    candidates: [
      c("mv", "Cardi B - WAP feat. Megan Thee Stallion [Official Music Video]", "Cardi B", 264, 500_000_000),
      c("clean", "Cardi B - WAP (Clean) feat. Megan Thee Stallion", "Clean Lyrics", 187, 20_000_000),
      c("topic", "WAP (feat. Megan Thee Stallion)", "Cardi B - Topic", 187, 300_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "clean wanted: explicit upload penalised",
    track: track("Gold Digger", ["Kanye West", "Jamie Foxx"], 208, { explicit: false }),
    candidates: [
      c("explicit", "Kanye West - Gold Digger ft. Jamie Foxx (Explicit)", "Kanye West", 208, 300_000_000),
      c("clean", "Kanye West - Gold Digger (Clean Version) ft. Jamie Foxx", "Clean Hip Hop", 208, 5_000_000),
    ],
    expectedId: id("clean"),
  },
  {
    name: "explicit wanted: '(Clean Version)' Topic twin loses to the plain Topic",
    track: track("Without Me", "Eminem", 290, { explicit: true }),
    candidates: [
      c("clean", "Without Me (Clean Version)", "Eminem - Topic", 290, 10_000_000, "music"),
      c("mv", "Eminem - Without Me (Official Music Video)", "EminemVEVO", 298, 1_800_000_000),
      c("topic", "Without Me", "Eminem - Topic", 290, 600_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "clean band name is not a clean version",
    track: track(
      "Rockabye (feat. Sean Paul & Anne-Marie)",
      ["Clean Bandit", "Sean Paul", "Anne-Marie"],
      251,
      {
        explicit: false,
      },
    ),
    candidates: [
      c("acoustic", "Rockabye (Acoustic)", "Clean Bandit - Topic", 245, 3_000_000, "music"),
      c("seanpaul", "Sean Paul - Rockabye", "Sean Paul Fans", 262, 1_000_000),
      c(
        "mv",
        "Clean Bandit - Rockabye (feat. Sean Paul & Anne-Marie) [Official Video]",
        "Clean Bandit",
        252,
        2_000_000_000,
      ),
    ],
    expectedId: id("mv"),
  },

  // --- wrong-duration uploads ----------------------------------------------------------------------------
  {
    name: "12 s intro on VEVO vs exact Topic",
    track: track("bad guy", "Billie Eilish", 194),
    candidates: [
      c("vevo", "Billie Eilish - bad guy", "BillieEilishVEVO", 206, 1_500_000_000),
      c("hour", "Billie Eilish - bad guy (1 HOUR)", "Hour Loops", 3600, 5_000_000),
      c("topic", "bad guy", "Billie Eilish - Topic", 194, 700_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "short film upload rejected by length",
    track: track("Thriller", "Michael Jackson", 357),
    candidates: [
      c("film", "Michael Jackson - Thriller (Official 4K Video)", "michaeljacksonVEVO", 822, 1_000_000_000),
      c("topic", "Thriller", "Michael Jackson - Topic", 357, 100_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "every upload has the wrong length: nothing to pick",
    track: track("November Rain", "Guns N' Roses", 537),
    candidates: [
      c("mv", "Guns N' Roses - November Rain", "GunsNRosesVEVO", 556, 2_000_000_000),
      c("full", "November Rain (Full Version)", "Rock Archive", 600, 3_000_000),
      c("hour", "GNR November Rain 1 hour", "Hour Loops", 3600, 200_000),
    ],
    expectedId: null,
  },
  {
    name: "radio edit wanted: the club mix is too long",
    track: track("Strobe - Radio Edit", "deadmau5", 214),
    candidates: [
      c("club", "deadmau5 - Strobe", "deadmau5", 637, 80_000_000),
      c("topic", "Strobe (Radio Edit)", "deadmau5 - Topic", 214, 20_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "full version wanted: the radio edit is too short",
    track: track("Strobe", "deadmau5", 637),
    candidates: [
      c("radio", "deadmau5 - Strobe (Radio Edit)", "deadmau5", 214, 10_000_000),
      c("topic", "Strobe", "deadmau5 - Topic", 637, 60_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "extended mix rejected even near the right length",
    track: track("Sandstorm", "Darude", 225),
    candidates: [
      c("ext", "Darude - Sandstorm (Extended Mix)", "Darude", 236, 5_000_000),
      c("mv", "Darude - Sandstorm", "Darude", 232, 300_000_000),
    ],
    expectedId: id("mv"),
  },
  {
    name: "extended version wanted",
    track: track("Blue Monday - Extended Version", "New Order", 449),
    candidates: [
      c("single", "Blue Monday", "New Order - Topic", 240, 10_000_000, "music"),
      c("ext", "Blue Monday (Extended Version)", "New Order - Topic", 449, 2_000_000, "music"),
      c("88", "New Order - Blue Monday '88", "New Order", 249, 50_000_000),
    ],
    expectedId: id("ext"),
  },

  // --- "feat." in different places -------------------------------------------------------------------------
  {
    name: "feat. in the artist segment of the upload",
    track: track("This Is What You Came For (feat. Rihanna)", ["Calvin Harris", "Rihanna"], 222),
    candidates: [
      c(
        "mv",
        "Calvin Harris - This Is What You Came For (Official Video) ft. Rihanna",
        "CalvinHarrisVEVO",
        241,
        3_000_000_000,
      ),
      c(
        "audio",
        "Calvin Harris feat. Rihanna - This Is What You Came For (Audio)",
        "Calvin Harris",
        222,
        20_000_000,
      ),
    ],
    expectedId: id("audio"),
  },
  {
    name: "two main artists, soundtrack qualifier",
    track: track("Sunflower - Spider-Man: Into the Spider-Verse", ["Post Malone", "Swae Lee"], 158),
    candidates: [
      c("rex", "Sunflower", "Rex Orange County - Topic", 252, 100_000_000, "music"),
      c(
        "vevo",
        "Post Malone, Swae Lee - Sunflower (Spider-Man: Into the Spider-Verse)",
        "PostMaloneVEVO",
        161,
        1_800_000_000,
      ),
      c(
        "topic",
        "Sunflower - Spider-Man: Into the Spider-Verse",
        "Post Malone - Topic",
        158,
        600_000_000,
        "music",
      ),
    ],
    expectedId: id("topic"),
  },
  {
    name: "accented title and two artists in a lyric upload",
    track: track("Señorita", ["Shawn Mendes", "Camila Cabello"], 191),
    candidates: [
      c("jt", "Senorita", "Justin Timberlake - Topic", 294, 50_000_000, "music"),
      c(
        "karaoke",
        "Señorita (Karaoke Version) - Shawn Mendes & Camila Cabello",
        "Sing King",
        191,
        10_000_000,
      ),
      c("lyric", "Shawn Mendes, Camila Cabello - Señorita (Lyrics)", "7clouds", 191, 400_000_000),
    ],
    expectedId: id("lyric"),
  },
  {
    name: "duet: Queen & David Bowie, Topic under the first artist",
    track: track("Under Pressure - Remastered 2011", ["Queen", "David Bowie"], 248),
    candidates: [
      c("live", "Queen & David Bowie - Under Pressure (Live at Wembley)", "Queen Official", 250, 10_000_000),
      c("mv", "Queen & David Bowie - Under Pressure (Official Video)", "Queen Official", 242, 300_000_000),
      c("topic", "Under Pressure (Remastered 2011)", "Queen - Topic", 248, 200_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "featured artist listed first on the upload",
    track: track("Stay With Me (feat. Mary J. Blige)", ["Sam Smith", "Mary J. Blige"], 173),
    candidates: [
      c("solo", "Sam Smith - Stay With Me (Official Music Video)", "SamSmithVEVO", 179, 1_000_000_000),
      c("duet", "Mary J. Blige & Sam Smith - Stay With Me (Audio)", "Sam Smith", 173, 5_000_000),
    ],
    expectedId: id("duet"),
  },

  // --- diacritics, punctuation, odd channels ---------------------------------------------------------------
  {
    name: "diacritics and case: déjà vu",
    track: track("déjà vu", "Olivia Rodrigo", 215, { explicit: true }),
    candidates: [
      c("beyonce", "Deja Vu", "Beyoncé - Topic", 240, 50_000_000, "music"),
      c("slowed", "olivia rodrigo - deja vu (slowed)", "Slowed Town", 250, 3_000_000),
      c("mv", "Olivia Rodrigo - deja vu (Official Video)", "Olivia Rodrigo", 216, 300_000_000),
    ],
    expectedId: id("mv"),
  },
  {
    name: "Icelandic letters in artist and title",
    track: track("Hoppípolla", "Sigur Rós", 273),
    candidates: [
      c("live", "Sigur Rós - Hoppípolla (Live at Heima)", "sigurros", 270, 5_000_000),
      c("mv", "Sigur Ros - Hoppipolla", "sigurros", 270, 40_000_000),
    ],
    expectedId: id("mv"),
  },
  {
    name: "full-width characters in an upload title",
    track: track("Plastic Love", "Mariya Takeuchi", 294),
    candidates: [
      c("fw", "竹内まりや Mariya Takeuchi － ＰＬＡＳＴＩＣ ＬＯＶＥ", "Mariya Takeuchi", 294, 10_000_000),
      c("city", "Plastic Love (Cover)", "City Pop Covers", 290, 300_000),
    ],
    expectedId: id("fw"),
  },

  // --- what the searches return --------------------------------------------------------------------------
  {
    name: "no candidates at all",
    track: track("Obscure B-Side", "Nobody Knows", 200),
    candidates: [],
    expectedId: null,
  },
  {
    name: "music search entries without channel or length: not confident",
    track: track("Flowers", "Miley Cyrus", 200),
    candidates: [
      c("m1", "Flowers", "", undefined, undefined, "music"),
      c("m2", "Flowers (Demo)", "", undefined, undefined, "music"),
    ],
    expectedId: null,
  },
  {
    name: "music entry enriched by the video search",
    track: track("Flowers", "Miley Cyrus", 200),
    candidates: [
      c("demo", "Flowers (Demo)", "Miley Cyrus - Topic", 200, 10_000_000, "music"),
      c("topic", "Flowers", "Miley Cyrus - Topic", 200, 500_000_000, "music"),
      c("mv", "Miley Cyrus - Flowers (Official Video)", "MileyCyrusVEVO", 218, 700_000_000),
    ],
    expectedId: id("topic"),
  },
  {
    name: "ISRC hit on the Topic upload",
    track: track("As It Was", "Harry Styles", 167, { isrc: "USSM12200612" }),
    candidates: [
      c("isrc", "As It Was", "Harry Styles - Topic", 167, 800_000_000, "isrc"),
      c("mv", "Harry Styles - As It Was (Official Video)", "HarryStylesVEVO", 166, 600_000_000),
    ],
    expectedId: id("isrc"),
  },
  {
    name: "ISRC search returned a different song: not trusted blindly",
    track: track("Shivers", "Ed Sheeran", 207, { isrc: "GBAHS2100671" }),
    candidates: [
      c("isrc", "Bad Habits", "Ed Sheeran - Topic", 231, 500_000_000, "isrc"),
      c("topic", "Shivers", "Ed Sheeran - Topic", 207, 400_000_000, "music"),
    ],
    expectedId: id("topic"),
  },
  {
    name: "title of an upload is only the artist and 'Official Video'",
    track: track("Tum Hi Ho", "Arijit Singh", 262),
    candidates: [
      c("vague", "Arijit Singh (Official Video)", "Arijit Singh", 262, 10_000_000),
      c(
        "tseries",
        "Tum Hi Ho Aashiqui 2 Full Song With Lyrics | Aditya Roy Kapur, Shraddha Kapoor",
        "T-Series",
        262,
        400_000_000,
      ),
    ],
    expectedId: null,
  },
];
