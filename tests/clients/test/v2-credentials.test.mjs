// sunshine-conversations-client (v2): app keys; service accounts over plain HTTP (the client has no API for them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import SunshineConversationsClient from 'sunshine-conversations-client';
import { url, keyId, secret, unique, basic, call } from '../support/env.mjs';

const client = new SunshineConversationsClient.ApiClient();
client.basePath = url;
client.authentications.basicAuth.username = keyId;
client.authentications.basicAuth.password = secret;
const appsApi = new SunshineConversationsClient.AppsApi(client);
const keysApi = new SunshineConversationsClient.AppKeysApi(client);

function clientFor(id, pw) {
  const c = new SunshineConversationsClient.ApiClient();
  c.basePath = url;
  c.authentications.basicAuth.username = id;
  c.authentications.basicAuth.password = pw;
  return new SunshineConversationsClient.AppsApi(c);
}

test('app keys: create, list, get, delete; ten at most; each reaches only its app', async () => {
  const app = (await appsApi.createApp(new SunshineConversationsClient.AppCreateBody(unique('keys')))).app;
  const other = (await appsApi.createApp(new SunshineConversationsClient.AppCreateBody(unique('other')))).app;

  const key = (await keysApi.createAppKey(app.id, new SunshineConversationsClient.AppKeyCreateBody('widget'))).key;
  assert.match(key.id, /^app_[0-9a-f]{24}$/);
  assert.ok(key.secret);
  assert.equal((await keysApi.getAppKey(app.id, key.id)).key.secret, key.secret);
  assert.ok((await keysApi.listAppKeys(app.id)).keys.some((k) => k.id === key.id));

  const asKey = clientFor(key.id, key.secret);
  assert.equal((await asKey.getApp(app.id)).app.id, app.id);
  await assert.rejects(asKey.getApp(other.id), (e) => e.status === 404);
  await assert.rejects(asKey.listApps({}), (e) => e.status === 403);

  for (let i = 1; i < 10; i++) await keysApi.createAppKey(app.id, new SunshineConversationsClient.AppKeyCreateBody(`k${i}`));
  await assert.rejects(keysApi.createAppKey(app.id, new SunshineConversationsClient.AppKeyCreateBody('eleventh')), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.body.errors[0].code, 'bad_request');
    return true;
  });

  await keysApi.deleteAppKey(app.id, key.id);
  await assert.rejects(asKey.getApp(app.id), (e) => e.status === 401);
  await appsApi.deleteApp(app.id);
  await appsApi.deleteApp(other.id);
});

test('service accounts: scoped access through the v2 client', async () => {
  const sa = (await call('POST', '/v2/serviceaccounts', { displayName: unique('sa') })).body.serviceAccount;
  const key = (await call('POST', `/v2/serviceaccounts/${sa.id}/keys`, { displayName: 'deploy' })).body.key;
  const asService = clientFor(key.id, key.secret);

  const own = (await asService.createApp(new SunshineConversationsClient.AppCreateBody(unique('sa-app')))).app;
  const notOwn = (await appsApi.createApp(new SunshineConversationsClient.AppCreateBody(unique('account-app')))).app;
  assert.deepEqual((await asService.listApps({})).apps.map((a) => a.id), [own.id]);
  await assert.rejects(asService.getApp(notOwn.id), (e) => e.status === 404 && e.body.errors[0].code === 'app_not_found');

  assert.equal((await call('PUT', `/v2/serviceaccounts/${sa.id}/apps/${notOwn.id}`)).status, 200);
  assert.equal((await asService.getApp(notOwn.id)).app.id, notOwn.id);
  assert.equal((await call('DELETE', `/v2/serviceaccounts/${sa.id}/apps/${notOwn.id}`)).status, 200);
  await assert.rejects(asService.getApp(notOwn.id), (e) => e.status === 404);

  assert.equal((await call('DELETE', `/v2/serviceaccounts/${sa.id}`)).status, 200);
  await assert.rejects(asService.listApps({}), (e) => e.status === 401);
  await appsApi.deleteApp(own.id);
  await appsApi.deleteApp(notOwn.id);
});
