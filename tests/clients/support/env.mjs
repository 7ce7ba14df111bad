// The service under test and one of its account keys, from the environment.
import crypto from 'node:crypto';

export const url = process.env.PROVISIONING_URL;
export const keyId = process.env.PROVISIONING_KEY_ID;
export const secret = process.env.PROVISIONING_SECRET;
if (!url || !keyId || !secret) {
  throw new Error('Set PROVISIONING_URL, PROVISIONING_KEY_ID and PROVISIONING_SECRET to a running service and one of its account keys.');
}

export const unique = (prefix) => `${prefix}-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;

/** An HS256 JWT signed the way Sunshine's docs tell clients to sign one. */
export function signJwt(kid, key, scope = 'account') {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT', kid });
  const body = b64({ scope, iat: Math.floor(Date.now() / 1000) });
  const signature = crypto.createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

export const basic = (id, pw) => 'Basic ' + Buffer.from(`${id}:${pw}`).toString('base64');

/** Plain fetch with Basic credentials, for what the clients do not cover. */
export async function call(method, path, body, auth = basic(keyId, secret)) {
  const response = await fetch(url + path, {
    method,
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
