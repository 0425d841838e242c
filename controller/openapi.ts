/**
 * The OpenAPI description of the controller's API, generated from the same zod schemas
 * the routes validate with (zod 4's JSON Schema output), so the two cannot drift: a test
 * checks that every route the server registers is described here, and that
 * docs/openapi.json is this document. `npm run openapi` rewrites the docs copy.
 */
import { z } from 'zod';
import { login } from './api/account';
import { createApp } from './api/apps';
import { createBuild, finishBuild, interruptBuilds, putBuildpacks } from './api/builds';
import { addCollaboratorBody } from './api/collaborators';
import { patchConfig } from './api/config';
import { addDomainBody } from './api/domains';
import { addDrainBody } from './api/drains';
import { addCertBody, httpsSettingsBody } from './api/certs';
import { finishDeployBody, startDeployBody } from './api/deploys';
import { runDyno } from './api/dynos';
import { updateFormation } from './api/formation';
import { createReleaseBody } from './api/releases';
import { reportJob } from './api/scheduling';
import { createTokenBody, createUserBody } from './api/users';
import { createJoinTokenBody } from './api/join-tokens';

interface Operation {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodTypeAny;
  /** Operators (admin accounts) only. */
  admin?: boolean;
  public?: boolean;
  idempotent?: boolean;
  paginated?: boolean;
}

export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/health', summary: 'liveness of the API', public: true },
  { method: 'get', path: '/openapi.json', summary: 'this document', public: true },
  { method: 'post', path: '/login', summary: 'exchange email and password for a new API token', body: login, public: true },
  { method: 'get', path: '/account', summary: 'the logged in user' },
  { method: 'get', path: '/account/tokens', summary: "the user's API tokens (never their secrets)", paginated: true },
  { method: 'post', path: '/account/tokens', summary: 'create an API token; its secret is shown once', body: createTokenBody },
  { method: 'delete', path: '/account/tokens/{id}', summary: 'revoke an API token' },
  { method: 'get', path: '/users', summary: 'list users', admin: true, paginated: true },
  { method: 'post', path: '/users', summary: 'create a user', body: createUserBody, admin: true },
  { method: 'get', path: '/apps', summary: 'apps the user owns or collaborates on', paginated: true },
  { method: 'post', path: '/apps', summary: 'create an app', body: createApp },
  { method: 'get', path: '/apps/{app}', summary: 'an app' },
  { method: 'patch', path: '/apps/{app}', summary: 'rename an app (owner only)', body: createApp },
  { method: 'delete', path: '/apps/{app}', summary: 'destroy an app (owner only)' },
  { method: 'get', path: '/apps/{app}/config-vars', summary: 'current config vars' },
  { method: 'patch', path: '/apps/{app}/config-vars', summary: 'set (string) or unset (null) config vars: one new release', body: patchConfig, idempotent: true },
  { method: 'get', path: '/apps/{app}/builds', summary: 'builds, newest first', paginated: true },
  { method: 'get', path: '/apps/{app}/builds/{id}', summary: 'a build' },
  { method: 'post', path: '/apps/{app}/builds', summary: 'start a build record (builder hook)', body: createBuild, idempotent: true },
  { method: 'patch', path: '/apps/{app}/builds/{id}', summary: "record a build's result and log (builder hook)", body: finishBuild, admin: true },
  { method: 'get', path: '/apps/{app}/builds/{id}/output', summary: "a build's full log (text/plain)" },
  { method: 'post', path: '/builds/interrupted', summary: 'mark every pending build failed, with a line in its log (builder start)', body: interruptBuilds, admin: true },
  { method: 'get', path: '/apps/{app}/buildpack-installations', summary: "the app's buildpacks, in order (empty: detect)" },
  { method: 'put', path: '/apps/{app}/buildpack-installations', summary: "replace the app's buildpacks (names, URLs or paths)", body: putBuildpacks },
  { method: 'get', path: '/apps/{app}/releases', summary: 'releases, newest first', paginated: true },
  { method: 'get', path: '/apps/{app}/releases/{version}', summary: 'a release (v3 or 3)' },
  { method: 'get', path: '/apps/{app}/releases/{version}/config-vars', summary: "a release's config snapshot" },
  { method: 'post', path: '/apps/{app}/releases', summary: 'release a build, or roll back to a version (a new release)', body: createReleaseBody, idempotent: true },
  { method: 'get', path: '/apps/{app}/formation', summary: 'process counts and sizes' },
  { method: 'patch', path: '/apps/{app}/formation', summary: 'scale process types', body: updateFormation, idempotent: true },
  { method: 'get', path: '/apps/{app}/dynos', summary: "the app's processes (dynos), one-offs waiting for a host included" },
  { method: 'post', path: '/apps/{app}/dynos', summary: 'start a one-off process (run.NNNN): detached (output to the log), or attached (`attach: true`: open the answer\'s attach_url as a WebSocket, with the same Authorization, to be its terminal)', body: runDyno, idempotent: true },
  { method: 'delete', path: '/apps/{app}/dynos', summary: 'restart every process of the app' },
  { method: 'get', path: '/apps/{app}/dynos/{dyno}', summary: 'one process (web.2, run.4821)' },
  { method: 'delete', path: '/apps/{app}/dynos/{dyno}', summary: 'restart one process (web.2) or every process of a type (web)' },
  { method: 'post', path: '/apps/{app}/dynos/{dyno}/actions/stop', summary: 'stop one process (a formation process is replaced, a one-off ends)' },
  { method: 'get', path: '/apps/{app}/deploys', summary: 'deploys of releases, newest first, with their outcome', paginated: true },
  { method: 'get', path: '/apps/{app}/collaborators', summary: 'owner and collaborators' },
  { method: 'post', path: '/apps/{app}/collaborators', summary: 'give a user access (owner only)', body: addCollaboratorBody },
  { method: 'delete', path: '/apps/{app}/collaborators/{user}', summary: "remove a user's access (owner only)" },
  { method: 'get', path: '/apps/{app}/domains', summary: 'host names the router serves for the app' },
  { method: 'post', path: '/apps/{app}/domains', summary: 'add a custom domain (exact or *.wildcard)', body: addDomainBody },
  { method: 'delete', path: '/apps/{app}/domains/{hostname}', summary: 'remove a custom domain' },
  { method: 'get', path: '/apps/{app}/sni-endpoints', summary: "the app's TLS certificates and the domains each serves" },
  { method: 'post', path: '/apps/{app}/sni-endpoints', summary: 'add a TLS certificate (PEM chain and unencrypted key; checked, key stored encrypted)', body: addCertBody },
  { method: 'get', path: '/apps/{app}/sni-endpoints/{endpoint}', summary: 'one certificate (id or name)' },
  { method: 'delete', path: '/apps/{app}/sni-endpoints/{endpoint}', summary: 'remove a certificate' },
  { method: 'get', path: '/apps/{app}/https', summary: 'whether plain HTTP requests are redirected to HTTPS' },
  { method: 'patch', path: '/apps/{app}/https', summary: 'turn the HTTP→HTTPS redirect (301) on or off', body: httpsSettingsBody },
  { method: 'get', path: '/apps/{app}/logs', summary: "recent log lines in Heroku's format (lines ≤ 1500, dyno, source); tail=true keeps the response open and streams new lines" },
  { method: 'get', path: '/apps/{app}/metrics', summary: 'the last hour (minutes ≤ 60) per minute: requests, statuses, router errors, latency percentiles, restarts, memory and CPU per process type' },
  { method: 'get', path: '/apps/{app}/log-drains', summary: "the app's log drains, with this controller's delivery status of each (lines delivered, last success, last error)" },
  { method: 'post', path: '/apps/{app}/log-drains', summary: 'add a log drain (syslog+tls://host:port, syslog://host:port unencrypted, or https://host/path; at most 5 per app); it gets the lines logged from now on', body: addDrainBody },
  { method: 'delete', path: '/apps/{app}/log-drains/{drain}', summary: 'remove a log drain (by id, token or URL)' },
  { method: 'get', path: '/router/tls', summary: 'every certificate with its key and the apps forcing HTTPS (routers)', admin: true },
  { method: 'get', path: '/hosts', summary: 'hosts and their health', admin: true },
  { method: 'get', path: '/hosts/{id}', summary: 'a host', admin: true },
  { method: 'post', path: '/hosts/{id}/actions/drain', summary: 'drain a host: nothing new lands on it and its jobs move', admin: true },
  { method: 'post', path: '/hosts/{id}/actions/undrain', summary: 'put a drained (or removed) host back into service', admin: true },
  { method: 'delete', path: '/hosts/{id}', summary: 'remove a host (refused while it runs jobs and is not drained)', admin: true },
  { method: 'post', path: '/join-tokens', summary: 'a join token for a new host (expires_in_seconds, default 24 h) and the `paas host:join` command to run on it; the secret is shown only here', body: createJoinTokenBody, admin: true },
  { method: 'get', path: '/join-tokens', summary: 'join tokens: id, state (active, expired, revoked), uses; never their secrets', admin: true },
  { method: 'delete', path: '/join-tokens/{id}', summary: 'revoke a join token: hosts can no longer join with it (hosts that joined stay)', admin: true },
  { method: 'get', path: '/scheduler/apps', summary: 'desired state of every app (scheduler)', admin: true },
  { method: 'get', path: '/scheduler/jobs', summary: 'jobs as last reported (scheduler)', admin: true },
  { method: 'get', path: '/scheduler/hosts', summary: "operators' decisions about hosts: draining, removed (scheduler)", admin: true },
  { method: 'post', path: '/scheduler/deploys', summary: "record a deploy's start; it supersedes the app's pending deploy (scheduler)", body: startDeployBody, admin: true },
  { method: 'patch', path: '/scheduler/deploys/{id}', summary: "record a deploy's outcome; failed puts the previous release back (scheduler)", body: finishDeployBody, admin: true },
  { method: 'put', path: '/jobs/{id}', summary: 'report a job (scheduler)', body: reportJob, admin: true },
  { method: 'delete', path: '/jobs/{id}', summary: 'forget a job (scheduler)', admin: true },
  { method: 'get', path: '/routes', summary: 'the route table (routers)', admin: true },
  { method: 'get', path: '/routes/{app}', summary: "one app's route (routers)", admin: true },
];

const errorSchema = {
  type: 'object',
  required: ['id', 'message'],
  properties: { id: { type: 'string', description: 'a stable error code' }, message: { type: 'string', description: 'what went wrong and what to do' }, request_id: { type: 'string' } },
};

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (op.paginated) params.push({ name: 'limit', in: 'query', required: false, schema: { type: 'string' } }, { name: 'offset', in: 'query', required: false, schema: { type: 'string' } });
    if (op.idempotent) params.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } });
    const errors = Object.fromEntries(
      ['400', '401', '403', '404', '409', '422', '429'].map((code) => [code, { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
    );
    paths[op.path] ??= {};
    paths[op.path][op.method] = {
      summary: op.summary + (op.admin ? ' (operators only)' : ''),
      ...(op.public ? { security: [] } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(op.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: { '200': { description: 'success' }, ...errors },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'paas controller API', version: '1', description: "The platform API, shaped like Heroku's Platform API." },
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'an API token from POST /login or `paas auth:token`' } },
    },
    security: [{ token: [] }],
    paths,
  };
}
