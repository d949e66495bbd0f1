// Rewrites config/bot.toml from the schema.
import { writeFileSync } from "node:fs";
import { renderConfigDoc } from "../src/core/config/config-doc.js";

writeFileSync(new URL("../config/bot.toml", import.meta.url), renderConfigDoc());
console.log("config/bot.toml written");
