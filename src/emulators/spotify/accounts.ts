/**
 * The emulated accounts service (accounts.spotify.com): `POST /api/token` with the client-credentials
 * grant, checked against one client id and secret, issuing random bearer tokens that expire after a set
 * lifetime, and the check the Web API makes of the `Authorization: Bearer …` header it is sent (no token,
 * an unknown one, an expired one). Tokens can all be invalidated at once from the control side.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./http-shared.js";

/** The credentials the emulator accepts unless told otherwise. */
export const emulatorCredentials = {
  clientId: "cdc-emulator-client",
  clientSecret: "cdc-emulator-secret",
} as const;

/** The token endpoint and the tokens it issued. */
export interface Accounts {
  /** Answer `POST /api/token`. */
  handleToken(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The 401 message for an `Authorization` header that carries no valid token; `undefined` if it does. */
  bearerError(authorization: string): string | undefined;
  /** Invalidate every issued token. */
  expireTokens(): void;
}

/** An accounts service that accepts `clientId:clientSecret` and issues tokens living `tokenTtl` seconds. */
export function createAccounts(clientId: string, clientSecret: string, tokenTtl: number): Accounts {
  const tokens = new Map<string, number>();
  return {
    async handleToken(req, res) {
      const body = await readBody(req);
      const auth = req.headers.authorization ?? "";
      const decoded = auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString("utf8") : "";
      const form = new URLSearchParams(body);
      if (decoded !== `${clientId}:${clientSecret}`) {
        sendJson(res, 400, { error: "invalid_client", error_description: "Invalid client" });
        return;
      }
      if (form.get("grant_type") !== "client_credentials") {
        sendJson(res, 400, {
          error: "unsupported_grant_type",
          error_description: "grant_type parameter is missing",
        });
        return;
      }
      const token = randomBytes(24).toString("base64url");
      tokens.set(token, Date.now() + tokenTtl * 1000);
      sendJson(res, 200, { access_token: token, token_type: "Bearer", expires_in: tokenTtl });
    },
    bearerError(authorization) {
      if (!authorization.startsWith("Bearer ")) return "No token provided";
      const expiresAt = tokens.get(authorization.slice(7));
      if (expiresAt === undefined) return "Invalid access token";
      if (expiresAt <= Date.now()) return "The access token expired";
      return undefined;
    },
    expireTokens() {
      tokens.clear();
    },
  };
}

/** The request body as text, cut at 64 KiB. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > 64 * 1024) break;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}
