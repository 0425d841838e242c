/**
 * Smart-HTTP git for apps (node-git-server), behind paas's own gate: the path must name
 * a valid app exactly, and every request (not only the ref advertisement, which is all
 * node-git-server checks) carries the user's API token as the HTTP basic password, as
 * Heroku's git does. Access is decided by the controller. Nothing touches the disk
 * before the name and the access are both checked.
 */
import type http from 'node:http';
import { Git } from 'node-git-server';
import { ControllerClient } from '../controller';
import { errorMessage, PaasError, type Logger } from '../shared';
import { ensureRepo, type HookTarget } from './repos';

const GIT_PATH = /^\/([a-z][a-z0-9-]{1,29})\.git\/(info\/refs|git-receive-pack|git-upload-pack|HEAD)$/;

export interface GitGateOptions {
  reposDir: string;
  controllerUrl: string;
  hook: HookTarget;
  log: Logger;
  /** Told who pushes to which app, so the build can be attributed. */
  onPusher?: (app: string, email: string) => void;
}

function deny(res: http.ServerResponse, status: number, message: string): void {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="paas"');
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message + '\n');
}

function basicPassword(header: string | undefined): string | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i >= 0 ? decoded.slice(i + 1) : undefined;
}

export function createGitGate(o: GitGateOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const git = new Git(o.reposDir, { autoCreate: false });
  return (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const m = GIT_PATH.exec(pathname);
    if (!m) return deny(res, 404, 'Not a paas app repository. The remote looks like http://HOST:PORT/APP.git');
    const app = m[1];
    const token = basicPassword(req.headers.authorization);
    if (!token) return deny(res, 401, 'Authentication required: run `paas login` first.');
    void (async () => {
      try {
        const client = new ControllerClient(o.controllerUrl, token);
        const account = await client.account();
        await client.app(app);
        await ensureRepo(o.reposDir, app, o.hook);
        if (m[2] === 'git-receive-pack' || /service=git-receive-pack/.test(req.url ?? '')) o.onPusher?.(app, account.email);
        git.handle(req, res);
      } catch (err) {
        const status = err instanceof PaasError ? err.status : 500;
        if (status >= 500) o.log.error('git request failed', { app, err: errorMessage(err) });
        deny(res, status === 401 ? 401 : status === 404 || status === 403 ? 404 : 503, status === 404 || status === 403 ? `Couldn't find app ${app}, or you do not have access to it.` : errorMessage(err));
      }
    })();
  };
}
