import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../shared';
import { Outbox } from './events';
import { HostDirectory } from './hosts';
import { OPERATIONS, openApiDocument } from './openapi';
import { createApi, registeredRoutes } from './server';

test('every route the API serves is in the OpenAPI document, and nothing else', () => {
  const api = createApi({
    sequelize: undefined as never,
    outbox: new Outbox(undefined, silentLogger),
    hosts: new HostDirectory(),
    log: silentLogger,
    domain: 'paas.test',
    urls: { web: () => '', git: () => '' },
    rateLimitPerHour: 1,
  });
  const served = registeredRoutes(api).map((r) => `${r.method} ${r.path}`).sort();
  const documented = OPERATIONS.map((o) => `${o.method} ${o.path}`).sort();
  assert.deepEqual(served, documented);
});

test('request bodies are described by their zod schemas', () => {
  const doc = openApiDocument() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> };
  const createApp = doc.paths['/apps'].post.requestBody?.content['application/json'].schema;
  assert.ok(createApp?.properties && 'name' in createApp.properties);
});

test('docs/openapi.json is up to date (run `npm run openapi`)', () => {
  const file = path.resolve(__dirname, '..', '..', 'docs', 'openapi.json');
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), JSON.parse(JSON.stringify(openApiDocument())));
});
