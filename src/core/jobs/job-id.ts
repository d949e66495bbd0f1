import { randomInt } from "node:crypto";

/** No 0/o, 1/l/i: ids are read aloud and typed on phones. */
const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
const ID_LENGTH = 7;

/** A short id a person can type: 7 characters, never all digits, no `:` (valid as a BullMQ job id). */
export function newJobId(): string {
  for (;;) {
    let id = "";
    for (let i = 0; i < ID_LENGTH; i++) id += alphabet[randomInt(alphabet.length)];
    if (/[a-z]/.test(id)) return id;
  }
}

/** True when `text` could be a job id (after trimming and lower-casing). */
export function isJobId(text: string): boolean {
  return new RegExp(`^[${alphabet}]{${ID_LENGTH}}$`).test(text);
}

/** Normalise what a person typed (`#AB3DEF7`, ` ab3def7 `) to a job id, or undefined. */
export function parseJobId(text: string): string | undefined {
  const id = text.trim().replace(/^#/, "").toLowerCase();
  return isJobId(id) ? id : undefined;
}
