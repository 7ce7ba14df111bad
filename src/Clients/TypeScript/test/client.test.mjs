// Drives a running service with the generated TypeScript client (dist/, built with `npm run build`).
// PROVISIONING_URL, PROVISIONING_KEY_ID and PROVISIONING_SECRET name the service and an account key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProvisioningClient, ProvisioningApiException } from '../dist/ProvisioningClient.js';

const { PROVISIONING_URL: url, PROVISIONING_KEY_ID: keyId, PROVISIONING_SECRET: secret } = process.env;
if (!url || !keyId || !secret) {
  throw new Error('Set PROVISIONING_URL, PROVISIONING_KEY_ID and PROVISIONING_SECRET to a running service and one of its account keys.');
}

const basic = (id, pw) => 'Basic ' + Buffer.from(`${id}:${pw}`).toString('base64');
const clientWith = (authorization) => new ProvisioningClient(url, {
  fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers ?? {}), Authorization: authorization } }),
});
const client = clientWith(basic(keyId, secret));
const suffix = Date.now().toString(36);

test('creates, lists, gets, updates and deletes apps', async () => {
  const created = await client.createApp({ displayName: `ts-${suffix}`, settings: { echoPostback: true }, metadata: { source: 'ts' } });
  assert.equal(created.app.displayName, `ts-${suffix}`);
  assert.equal(created.app.settings.echoPostback, true);

  const listed = await client.listApps(undefined, undefined, 100, undefined);
  assert.ok(listed.apps.some((a) => a.id === created.app.id));

  const updated = await client.updateApp(created.app.id, { displayName: `ts-renamed-${suffix}` });
  assert.equal(updated.app.displayName, `ts-renamed-${suffix}`);
  assert.equal((await client.getApp(created.app.id)).app.displayName, `ts-renamed-${suffix}`);

  await client.deleteApp(created.app.id);
  await assert.rejects(client.getApp(created.app.id), (error) => {
    assert.equal(error.status, 404);
    assert.equal(error.result.errors[0].code, 'app_not_found');
    return true;
  });
});

test('reports bad credentials as 401 in the v2 envelope', async () => {
  await assert.rejects(clientWith(basic(keyId, secret + 'x')).listApps(undefined, undefined, undefined, undefined), (error) => {
    assert.equal(error.status, 401);
    assert.equal(error.result.errors[0].code, 'unauthorized');
    return true;
  });
});
