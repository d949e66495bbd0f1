/**
 * A person's own choices (/settings in the bot): the audio format, its quality (a bitrate the
 * configuration allows, or "original": YouTube's stream kept as it is, for m4a and opus), and what they
 * get in the chat when a job ends (audio messages, the download link, or both). Kept in Redis under
 * `keys.personSettings(userId)` as JSON, checked with zod on every read and write; what is not stored (or
 * no longer allowed by the configuration) reads as the service's default.
 */
import { z } from "zod";
import { audioFormats, type AudioFormat, type Config } from "../config/schema.js";
import { UserFacingError } from "../errors.js";
import { offersOriginalStream } from "../media/ffmpeg.js";
import { createKeys } from "./keys.js";
import { deliveryModes, qualitySchema, type DeliveryMode, type Quality } from "./schemas.js";

export const personSettingsSchema = z.object({
  format: z.enum(audioFormats),
  quality: qualitySchema,
  delivery: z.enum(deliveryModes),
});
export type PersonSettings = z.infer<typeof personSettingsSchema>;

/** What the service offers and gives by default (from the configuration). */
export interface SettingsOffer {
  format: AudioFormat;
  /** The service's bitrate: the default quality, and the one whose files are shared. */
  bitrateKbps: number;
  /** Bitrates a person may pick (the default is added). */
  bitrateChoicesKbps: readonly number[];
  /** False when the bot sends no audio messages (`telegram.sendAudio`): only the link is offered. */
  sendAudio: boolean;
}

/** The offer from the configuration. */
export function settingsOffer(config: {
  download: Pick<Config["download"], "format" | "bitrateKbps" | "bitrateChoicesKbps">;
  telegram: Pick<Config["telegram"], "sendAudio">;
}): SettingsOffer {
  return {
    format: config.download.format,
    bitrateKbps: config.download.bitrateKbps,
    bitrateChoicesKbps: config.download.bitrateChoicesKbps,
    sendAudio: config.telegram.sendAudio,
  };
}

/** The qualities a format offers: none for flac (lossless), the bitrates, and "original" for m4a/opus. */
export function qualityChoices(format: AudioFormat, offer: SettingsOffer): Quality[] {
  if (format === "flac") return [];
  const bitrates = [...new Set([...offer.bitrateChoicesKbps, offer.bitrateKbps])].sort((a, b) => a - b);
  return offersOriginalStream(format) ? [...bitrates, "original"] : bitrates;
}

/** The delivery modes offered: only the link when the bot sends no audio. */
export function deliveryChoices(offer: SettingsOffer): DeliveryMode[] {
  return offer.sendAudio ? [...deliveryModes] : ["link"];
}

export function defaultSettings(offer: SettingsOffer): PersonSettings {
  return { format: offer.format, quality: offer.bitrateKbps, delivery: offer.sendAudio ? "both" : "link" };
}

/**
 * Settings as they apply now: a quality the format does not offer (original for mp3, a bitrate the
 * configuration dropped) reads as the service's bitrate, a delivery no longer offered as the link.
 * Flac keeps the stored quality (it has none; switching back restores it).
 */
export function effectiveSettings(stored: PersonSettings, offer: SettingsOffer): PersonSettings {
  const qualities = qualityChoices(stored.format, offer);
  const quality =
    stored.format === "flac" || qualities.includes(stored.quality) ? stored.quality : offer.bitrateKbps;
  const delivery = deliveryChoices(offer).includes(stored.delivery) ? stored.delivery : "link";
  return { ...stored, quality, delivery };
}

/** Where the settings are kept: a Redis connection (ioredis satisfies it), or {@link memoryStorage}. */
export interface SettingsStorage {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
}

/** Settings kept in this process only (a bot without Redis, e.g. in tests). */
export function memoryStorage(): SettingsStorage {
  const map = new Map<string, string>();
  return {
    get: (key) => Promise.resolve(map.get(key) ?? null),
    set: (key, value) => Promise.resolve(map.set(key, value)),
  };
}

export interface PersonSettingsStore {
  readonly offer: SettingsOffer;
  /** The person's settings as they apply now (defaults for what they never chose). */
  get(userId: number): Promise<PersonSettings>;
  /**
   * Change some of them. @throws UserFacingError (`bad_setting`) for a choice not offered (nothing is
   * changed). @returns the settings as they apply now.
   */
  set(userId: number, change: Partial<PersonSettings>): Promise<PersonSettings>;
}

export class BadSettingError extends UserFacingError {
  constructor(what: string) {
    super("bad_setting", `${what} isn't one of the choices. Send /settings to see them.`);
  }
}

export function createPersonSettings(
  storage: SettingsStorage,
  options: { prefix: string; offer: SettingsOffer },
): PersonSettingsStore {
  const keys = createKeys(options.prefix);
  const { offer } = options;
  const defaults = defaultSettings(offer);

  /** What is stored, field by field: a field that does not parse (an older version, a hand edit) is the default. */
  async function stored(userId: number): Promise<PersonSettings> {
    const raw = await storage.get(keys.personSettings(userId));
    let json: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(raw ?? "{}");
      if (parsed !== null && typeof parsed === "object") json = parsed as Record<string, unknown>;
    } catch {
      // unreadable: the defaults
    }
    const field = <K extends keyof PersonSettings>(name: K): PersonSettings[K] => {
      const parsed = personSettingsSchema.shape[name].safeParse(json[name]);
      return parsed.success ? (parsed.data as PersonSettings[K]) : defaults[name];
    };
    return { format: field("format"), quality: field("quality"), delivery: field("delivery") };
  }

  return {
    offer,
    async get(userId) {
      return effectiveSettings(await stored(userId), offer);
    },
    async set(userId, change) {
      const current = await stored(userId);
      const checked = personSettingsSchema.partial().safeParse(change);
      if (!checked.success) throw new BadSettingError("That setting");
      const next = { ...current, ...checked.data };
      if (
        checked.data.quality !== undefined &&
        !qualityChoices(next.format, offer).includes(checked.data.quality)
      ) {
        throw new BadSettingError(`Quality ${String(checked.data.quality)} for ${next.format}`);
      }
      if (checked.data.delivery !== undefined && !deliveryChoices(offer).includes(checked.data.delivery)) {
        throw new BadSettingError(`Delivery "${checked.data.delivery}"`);
      }
      await storage.set(keys.personSettings(userId), JSON.stringify(next));
      return effectiveSettings(next, offer);
    },
  };
}
