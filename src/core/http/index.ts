/** The HTTP API's public surface. */
export { createHttpApp, ADMIN_BODY_LIMIT, type HttpAppDeps } from "./app.js";
export {
  createLinkSigner,
  createPeerSigner,
  loadLinkSecret,
  sharedLinkSecret,
  downloadUrl,
  type LinkSigner,
  type LinkVerification,
  type PeerSigner,
} from "./link-signer.js";
export {
  createReadiness,
  programCheck,
  redisCheck,
  runChecks,
  type CheckResult,
  type HealthCheck,
  type Readiness,
  type ReadinessOptions,
} from "./health.js";
