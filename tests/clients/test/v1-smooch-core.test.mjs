// smooch-core (v1.1), unchanged, pointed at the service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Smooch from 'smooch-core';
import { url, keyId, secret, unique, call } from '../support/env.mjs';

const account = new Smooch({ keyId, secret, scope: 'account', serviceUrl: url });

test('service accounts, keys and JWTs; a service account sees only its apps', async () => {
  const { serviceAccount } = await account.serviceAccounts.create(unique('smooch-sa'));
  assert.ok(serviceAccount._id);
  assert.equal((await account.serviceAccounts.get(serviceAccount._id)).serviceAccount.name, serviceAccount.name);
  const renamed = await account.serviceAccounts.update(serviceAccount._id, { name: `${serviceAccount.name}-renamed` });
  assert.equal(renamed.serviceAccount.name, `${serviceAccount.name}-renamed`);
  const listed = await account.serviceAccounts.list(100, 0);
  assert.ok(listed.serviceAccounts.some((s) => s._id === serviceAccount._id));
  assert.equal(typeof listed.hasMore, 'boolean');

  const { key } = await account.serviceAccounts.keys.create(serviceAccount._id, 'deploy');
  assert.match(key._id, /^svc_/);
  assert.ok((await account.serviceAccounts.keys.list(serviceAccount._id)).keys.some((k) => k._id === key._id));
  assert.equal((await account.serviceAccounts.keys.get(serviceAccount._id, key._id)).key.secret, key.secret);
  const { jwt } = await account.serviceAccounts.keys.getJwt(serviceAccount._id, key._id);

  const accountApp = (await account.apps.create({ name: unique('smooch-account-app') })).app;
  const asService = new Smooch({ jwt, serviceUrl: url });
  const serviceApp = (await asService.apps.create({ name: unique('smooch-sa-app') })).app;
  const visible = (await asService.apps.list()).apps.map((a) => a._id);
  assert.deepEqual(visible, [serviceApp._id]);
  await assert.rejects(asService.apps.get(accountApp._id), (e) => e.response.status === 404 && e.code === 'app_not_found');

  // The same key, signed by smooch-core itself.
  const signed = new Smooch({ keyId: key._id, secret: key.secret, scope: 'account', serviceUrl: url });
  assert.deepEqual((await signed.apps.list()).apps.map((a) => a._id), [serviceApp._id]);
  assert.deepEqual((await account.apps.list(100, 0, serviceAccount._id)).apps.map((a) => a._id), [serviceApp._id]);

  await account.serviceAccounts.keys.delete(serviceAccount._id, key._id);
  await assert.rejects(signed.apps.list(), (e) => e.response.status === 401 && e.code === 'unauthorized');
  await assert.rejects(asService.apps.list(), (e) => e.response.status === 401);

  await account.serviceAccounts.delete(serviceAccount._id);
  await account.apps.delete(serviceApp._id);
  await account.apps.delete(accountApp._id);
});

test('apps and app keys with v1.1 shapes', async () => {
  const { app } = await account.apps.create({
    name: unique('smooch-app'),
    settings: { useAnimalNames: true, multiConvoEnabled: true, endSessionEnabled: true, disableConversationReopen: true },
    metadata: { a: 1 },
  });
  assert.equal(app.settings.useAnimalNames, true);
  assert.equal(app.settings.endSessionEnabled, true);
  assert.equal(app.settings.disableConversationReopen, true);
  // The v1.1 App model requires appToken: publishable, stable for the app's life.
  assert.match(app.appToken, /^[0-9a-z]{25}$/);
  assert.equal((await account.apps.get(app._id)).app.appToken, app.appToken);
  const updated = (await account.apps.update(app._id, { name: 'renamed', metadata: { b: 2 } })).app;
  assert.equal(updated.name, 'renamed');
  assert.deepEqual(updated.metadata, { a: 1, b: 2 });

  const { key } = await account.apps.keys.create(app._id, 'app key');
  assert.match(key._id, /^app_/);
  assert.ok((await account.apps.keys.list(app._id)).keys.some((k) => k._id === key._id));
  const { jwt } = await account.apps.keys.getJwt(app._id, key._id);
  const asApp = new Smooch({ jwt, serviceUrl: url });
  assert.equal(asApp.scope, 'app');

  await account.apps.keys.delete(app._id, key._id);
  await account.apps.delete(app._id);
  await assert.rejects(account.apps.get(app._id), (e) => e.response.status === 404 && e.code === 'app_not_found');
});

test('errors arrive in the v1.1 envelope', async () => {
  const name = unique('dup');
  const { serviceAccount } = await account.serviceAccounts.create(name);
  await assert.rejects(account.serviceAccounts.create(name.toUpperCase()), (e) => {
    assert.equal(e.response.status, 409);
    assert.equal(e.code, 'conflict');
    assert.ok(e.description);
    return true;
  });
  await account.serviceAccounts.delete(serviceAccount._id);
});

test('a retry with Idempotency-Key (set in smooch-core\'s authHeaders, which every call sends) gets the first app back, not a second', async () => {
  // smooch-core has no option for a header; its authHeaders object is shared by every sub-API and merged into each request.
  const client = new Smooch({ keyId, secret, scope: 'account', serviceUrl: url });
  const name = unique('smooch-idempotent');
  client.authHeaders['Idempotency-Key'] = unique('smooch-retry');
  const first = (await client.apps.create({ name })).app;
  const retried = (await client.apps.create({ name })).app;
  assert.equal(retried._id, first._id);
  assert.equal(retried.appToken, first.appToken);
  await assert.rejects(client.apps.create({ name: `${name}-other` }), (e) => e.response.status === 422 && e.code === 'idempotency_key_reused');
  delete client.authHeaders['Idempotency-Key'];
  const another = (await client.apps.create({ name })).app;
  assert.notEqual(another._id, first._id);
  await client.apps.delete(first._id);
  await client.apps.delete(another._id);
});

test("a provisioned tenant's token, given to smooch-core as the key it is (docs/authentication.md)", async () => {
  const provisioningKey = (await call('POST', '/v2/provisioningkeys', { displayName: unique('smooch-pk') })).body.provisioningKey.secret;
  const provisioned = await call('POST', '/v2/tenants', { name: unique('smooch-tenant'), key: provisioningKey });
  assert.equal(provisioned.status, 200);
  const { token } = provisioned.body;

  // smooch-core takes a jwt only if it is one: the token is refused before anything is sent.
  assert.throws(() => new Smooch({ jwt: token, serviceUrl: url }).apps.list(), /jwt/i);

  const asTenant = new Smooch({
    keyId: token.split('.')[0], secret: token.slice(token.indexOf('.') + 1), scope: 'account', serviceUrl: url,
  });
  const { app } = await asTenant.apps.create({ name: unique('smooch-tenant-app') });
  assert.deepEqual((await asTenant.apps.list()).apps.map((a) => a._id), [app._id]); // the new tenant's own apps only
  await assert.rejects(account.apps.get(app._id), (e) => e.response.status === 404); // not its parent's
});
