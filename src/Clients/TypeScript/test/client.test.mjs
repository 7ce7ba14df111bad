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

test('manages service accounts and their keys', async () => {
  const { serviceAccount } = await client.createServiceAccount({ displayName: `ts-sa-${suffix}` });
  const { key } = await client.createServiceAccountKey(serviceAccount.id, { displayName: 'deploy' });
  // Times are the RFC 3339 strings of the JSON, as typed (not Date objects); a key made without expiresAt has null.
  assert.strictEqual(typeof key.createdAt, 'string');
  assert.ok(!Number.isNaN(Date.parse(key.createdAt)));
  assert.strictEqual(key.expiresAt, null);
  assert.match(key.id, /^svc_/);
  assert.ok((await client.listServiceAccounts(undefined, undefined, 100)).serviceAccounts.some((s) => s.id === serviceAccount.id));
  const { jwt } = await client.issueServiceAccountKeyJwt(serviceAccount.id, key.id);

  const asService = clientWith(`Bearer ${jwt}`);
  const { app } = await asService.createApp({ displayName: `ts-sa-app-${suffix}` });
  assert.deepEqual((await asService.listApps(undefined, undefined, undefined, undefined)).apps.map((a) => a.id), [app.id]);
  assert.deepEqual((await client.listServiceAccountApps(serviceAccount.id, undefined, undefined, undefined)).apps.map((a) => a.id), [app.id]);

  await client.deleteServiceAccount(serviceAccount.id);
  await assert.rejects(asService.listApps(undefined, undefined, undefined, undefined), (error) => error.status === 401);
  await client.deleteApp(app.id);
});

test('provisions and manages tenants', async () => {
  const { provisioningKey } = await client.createProvisioningKey({ displayName: `ts-prv-${suffix}` });
  const provisioned = await client.provisionTenant({
    name: `ts-tenant-${suffix}`, key: provisioningKey.secret, contacts: 50, emails: ['owner@example.com'],
    settings: { email: { fromName: 'TS' } },
  });
  assert.match(provisioned.tenantuid, /^[0-9a-f]{24}$/);

  const asChild = clientWith(`Bearer ${provisioned.token}`);
  const self = (await asChild.getTenant('self')).tenant;
  assert.equal(self.id, provisioned.tenantuid);
  assert.equal(self.contacts, 50);
  assert.deepEqual(self.users, ['owner@example.com']);
  assert.equal(self.settings.email.fromName, 'TS');

  const updated = (await client.updateTenant(provisioned.tenantuid, { maxApps: 1 })).tenant;
  assert.equal(updated.maxApps, 1);
  const unlimited = (await client.updateTenant(provisioned.tenantuid, { maxApps: null })).tenant;
  assert.strictEqual(unlimited.maxApps, null); // sent as null, answered as null (not undefined)
  assert.ok((await client.listTenants(undefined, undefined, 100)).tenants.some((t) => t.id === provisioned.tenantuid));

  await client.deleteTenant(provisioned.tenantuid);
  await assert.rejects(asChild.getTenant('self'), (error) => error.status === 401);
  await client.deleteProvisioningKey(provisioningKey.id);
});
