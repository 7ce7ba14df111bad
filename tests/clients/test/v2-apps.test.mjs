// sunshine-conversations-client (v2): apps end to end, as the official client sends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import SunshineConversationsClient from 'sunshine-conversations-client';
import { url, keyId, secret, unique, signJwt, basic } from '../support/env.mjs';

function apiWith(configure) {
  const client = new SunshineConversationsClient.ApiClient();
  client.basePath = url;
  configure(client.authentications);
  return new SunshineConversationsClient.AppsApi(client);
}

const appsApi = apiWith((auth) => { auth.basicAuth.username = keyId; auth.basicAuth.password = secret; });

async function createApp(displayName, extra = {}) {
  const body = new SunshineConversationsClient.AppCreateBody(displayName);
  Object.assign(body, extra);
  return (await appsApi.createApp(body)).app;
}

async function listAll(opts) {
  const ids = [];
  let page = await appsApi.listApps(opts);
  for (;;) {
    ids.push(...page.apps.map((a) => a.id));
    if (!page.meta.hasMore) return ids;
    page = await appsApi.listApps({ page: { after: page.meta.afterCursor } });
  }
}

test('creates, gets, updates (merge) and deletes an app', async () => {
  const created = await createApp(unique('v2'), { settings: { useAnimalNames: true }, metadata: { tier: 'gold', seats: 3 } });
  assert.match(created.id, /^[0-9a-f]{24}$/);
  assert.equal(created.settings.useAnimalNames, true);
  assert.equal(created.settings.maskCreditCardNumbers, true);

  const fetched = (await appsApi.getApp(created.id)).app;
  assert.equal(fetched.displayName, created.displayName);

  const update = new SunshineConversationsClient.AppUpdateBody();
  update.displayName = 'renamed';
  update.settings = { echoPostback: true };
  update.metadata = { seats: null, region: 'eu' };
  const updated = (await appsApi.updateApp(created.id, update)).app;
  assert.equal(updated.displayName, 'renamed');
  assert.equal(updated.settings.useAnimalNames, true);
  assert.equal(updated.settings.echoPostback, true);
  assert.deepEqual(updated.metadata, { tier: 'gold', region: 'eu' });

  await appsApi.deleteApp(created.id);
  await assert.rejects(appsApi.getApp(created.id), (error) => {
    assert.equal(error.status, 404);
    assert.equal(error.body.errors[0].code, 'app_not_found');
    return true;
  });
});

test('a body of megabytes is a 413 the client can read, not a reset connection', async () => {
  // Node writes the whole body before it reads; the server reads the refused body away after its answer.
  const before = await listAll({});
  for (let i = 0; i < 3; i++) {
    await assert.rejects(createApp(unique('huge'), { metadata: { blob: 'x'.repeat(4 * 1024 * 1024) } }), (error) => {
      assert.equal(error.status, 413, `got ${error.status ?? error.code ?? error.message}`);
      assert.equal(error.body.errors[0].code, 'request_entity_too_large');
      return true;
    });
  }
  assert.deepEqual(await listAll({}), before);
});

test('pages forwards and backwards with cursors', async () => {
  const mine = [];
  for (let i = 0; i < 3; i++) mine.push((await createApp(unique(`page${i}`))).id);

  // The client sends one page[...] parameter per call: a size for the first page, then cursors.
  const first = await appsApi.listApps({ page: { size: 1 } });
  assert.equal(first.apps.length, 1);
  assert.equal(first.meta.hasMore, true);
  assert.ok(first.links.next.includes('page[after]='));

  const all = await listAll({ page: { size: 2 } });
  assert.deepEqual(all.filter((id) => mine.includes(id)), mine, 'created apps appear once each, in creation order');
  assert.deepEqual([...all].sort(), all, 'ids are in ascending order');

  const last = mine[2];
  const before = await appsApi.listApps({ page: { before: last } });
  assert.ok(before.apps.length >= 2);
  assert.deepEqual(before.apps.slice(-2).map((a) => a.id), mine.slice(0, 2));
  assert.equal(before.meta.afterCursor, mine[1]);
});

test('a paging option set to null (a loop starting with no cursor) lists from the start', async () => {
  // The client sends a bare ?page%5Bafter%5D for it; the service reads it as absent.
  const app = await createApp(unique('null-cursor'));
  const page = await appsApi.listApps({ page: { after: null }, filter: { serviceAccountId: null } });
  assert.ok(page.apps.some((a) => a.id === app.id) || page.meta.hasMore);
  await appsApi.deleteApp(app.id);
});

test('accepts raw and percent-encoded brackets alike', async () => {
  const headers = { Authorization: basic(keyId, secret) };
  const raw = await (await fetch(`${url}/v2/apps?page[size]=1`, { headers })).json();
  const encoded = await (await fetch(`${url}/v2/apps?page%5Bsize%5D=1`, { headers })).json();
  assert.equal(raw.apps.length, 1);
  assert.deepEqual(encoded, raw);
});

test('authenticates with a JWT the caller signs, and refuses bad credentials', async () => {
  const viaJwt = apiWith((auth) => { auth.bearerAuth.accessToken = signJwt(keyId, secret); });
  const app = (await viaJwt.createApp(new SunshineConversationsClient.AppCreateBody(unique('jwt')))).app;
  assert.ok(app.id);
  await appsApi.deleteApp(app.id);

  const wrong = apiWith((auth) => { auth.basicAuth.username = keyId; auth.basicAuth.password = secret + 'x'; });
  await assert.rejects(wrong.listApps({}), (error) => {
    assert.equal(error.status, 401);
    assert.equal(error.body.errors[0].code, 'unauthorized');
    return true;
  });
});

test('a retry with Idempotency-Key (a default header of the official client) gets the first app back, not a second', async () => {
  const api = apiWith((auth) => { auth.basicAuth.username = keyId; auth.basicAuth.password = secret; });
  const name = unique('idempotent');
  api.apiClient.defaultHeaders['Idempotency-Key'] = unique('retry');
  const first = (await api.createApp(new SunshineConversationsClient.AppCreateBody(name))).app;
  const retried = (await api.createApp(new SunshineConversationsClient.AppCreateBody(name))).app;
  assert.equal(retried.id, first.id);
  delete api.apiClient.defaultHeaders['Idempotency-Key'];
  const another = (await api.createApp(new SunshineConversationsClient.AppCreateBody(name))).app;
  assert.notEqual(another.id, first.id);
  await api.deleteApp(first.id);
  await api.deleteApp(another.id);
});
