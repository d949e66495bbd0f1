export { toToml } from "../../src/core/config/to-toml.js";
