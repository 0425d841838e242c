/**
 * The builder's internal endpoint, called only by the pre-receive hook (it presents the
 * builder's secret). One build at a time per app: a second push is refused while the
 * first builds. The build log is the response body; the result is an HTTP trailer, so
 * the hook can tell git to accept or decline the push after the whole log.
 *
 * A push cancelled by its git client (Ctrl-C) cancels its build, as Flynn's does: the
 * git gate calls cancel(app, pid) when the client's connection closes mid-push, and the
 * hook's own connection closing does the same. The build's containers are killed and it is
 * recorded failed within seconds, and the app's lock is free for the next push.
 *
 * Cancelling belongs to the push that started the build: the hook sends the pid of its
 * git-receive-pack (its parent) as X-Paas-Push, the gate knows the same pid for the push's
 * request, and a cancel with another pid (a second, refused push that is Ctrl-C'd) is ignored.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import { errorMessage, heroku, type Logger } from '../shared';
import { runBuild, type BuildEnvironment } from './build';

const BUILD_PATH = /^\/internal\/apps\/([a-z][a-z0-9-]{1,29})\/builds$/;

export interface BuildEndpointOptions {
  env: BuildEnvironment;
  secret: string;
  log: Logger;
  pusherOf: (app: string) => string | undefined;
}

export interface BuildEndpoint {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Stops the app's running build if the push with this receive-pack pid started it (that push was cancelled). */
  cancel(app: string, receivePackPid: number | undefined): void;
}

export function createBuildEndpoint(o: BuildEndpointOptions): BuildEndpoint {
  const building = new Map<string, { cancelled: AbortController; push: number | undefined }>();
  const secret = Buffer.from(`Bearer ${o.secret}`);

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = BUILD_PATH.exec(url.pathname);
    const rev = url.searchParams.get('rev') ?? '';
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (req.method !== 'POST' || !m || !/^[0-9a-f]{40}$/.test(rev) || auth.length !== secret.length || !crypto.timingSafeEqual(auth, secret)) {
      res.writeHead(404).end();
      return;
    }
    const app = m[1];
    if (building.has(app)) {
      res.writeHead(409, { 'content-type': 'text/plain' });
      res.end(heroku.error(`A build of ${app} is already running. Wait for it to finish, then push again.`));
      req.resume();
      return;
    }
    const cancelled = new AbortController();
    const push = Number(req.headers['x-paas-push']);
    building.set(app, { cancelled, push: Number.isSafeInteger(push) && push > 0 ? push : undefined });
    res.on('close', () => {
      if (!res.writableFinished) cancelled.abort();
    });
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', trailer: 'X-Paas-Build-Status' });
    res.flushHeaders();
    runBuild(o.env, { app, rev, pusher: o.pusherOf(app), source: req, output: res, signal: cancelled.signal })
      .catch((err) => {
        o.log.error('build crashed', { app, err: errorMessage(err) });
        res.write(heroku.error(`The build could not run: ${errorMessage(err)}`));
        return 'failed' as const;
      })
      .then((status) => {
        if (res.destroyed) return;
        res.addTrailers({ 'X-Paas-Build-Status': status });
        res.end();
      })
      .finally(() => building.delete(app));
  };

  return {
    handle,
    cancel(app: string, receivePackPid: number | undefined) {
      const running = building.get(app);
      if (running && running.push !== undefined && running.push === receivePackPid) {
        o.log.info('push cancelled by its client; stopping the build', { app });
        running.cancelled.abort();
      }
    },
  };
}
