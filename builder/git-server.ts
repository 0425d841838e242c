/**
 * Smart-HTTP git for apps (node-git-server), behind paas's own gate: the path must name
 * a valid app exactly, and every request (not only the ref advertisement, which is all
 * node-git-server checks) carries the user's API token as the HTTP basic password, as
 * Heroku's git does. Access is decided by the controller. Nothing touches the disk
 * before the name and the access are both checked: the raw request path is matched,
 * never a decoded or normalised one (`/%2e%2e/x.git` stays a 404). Pushes are bounded by
 * a rate per app and user and by the repository's size (T22).
 */
import type { ChildProcess } from 'node:child_process';
import type http from 'node:http';
import { Git, type PushData, type TagData } from 'node-git-server';
import { ControllerClient } from '../controller';
import { errorMessage, PaasError, type Logger } from '../shared';
import { checkRepoSize, PushRateLimiter } from './push-limits';
import { ensureRepo, repoDirName, type HookTarget } from './repos';

const GIT_PATH = /^\/([a-z][a-z0-9-]{1,29})\.git\/(info\/refs|git-receive-pack|git-upload-pack|HEAD)$/;

export interface GitGateOptions {
  reposDir: string;
  controllerUrl: string;
  hook: HookTarget;
  log: Logger;
  /** Told who pushes to which app, so the build can be attributed. */
  onPusher?: (app: string, email: string) => void;
  /**
   * Told when a push's client went away before the push finished (Ctrl-C), with the pid of
   * that push's git-receive-pack (its hook sends the same pid with its build), so only the
   * build this push started is cancelled. No pid: the push never reached receive-pack.
   */
  onPushGone?: (app: string, receivePackPid: number | undefined) => void;
  maxRepoBytes: number;
  pushesPerHour: number;
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
  const rate = new PushRateLimiter(o.pushesPerHour);
  // Each push's git-receive-pack, by request: the pid links a push to the build its hook starts.
  const receivers = new WeakMap<http.IncomingMessage, ChildProcess>();
  const seen = new WeakSet<PushData | TagData>();
  const accept = (action: PushData | TagData): void => {
    // Emitted once per pushed ref of the same request; one listener is enough.
    if (!seen.has(action)) {
      seen.add(action);
      action.once('service', (ps: ChildProcess) => {
        receivers.set(action.req, ps);
      });
    }
    action.accept();
  };
  git.on('push', accept);
  git.on('tag', accept);
  return (req, res) => {
    // The raw path: URL parsing would resolve `%2e%2e` and `..` before the check.
    const pathname = (req.url ?? '/').split('?')[0];
    const m = GIT_PATH.exec(pathname);
    if (!m) return deny(res, 404, 'Not a paas app repository. The remote looks like http://HOST:PORT/APP.git');
    const app = m[1];
    const token = basicPassword(req.headers.authorization);
    if (!token) return deny(res, 401, 'Authentication required: run `paas login` first.');
    void (async () => {
      try {
        const client = new ControllerClient(o.controllerUrl, token);
        const account = await client.account();
        const info = await client.app(app);
        const repo = { id: info.id, name: info.name };
        const isPush = m[2] === 'git-receive-pack' && req.method === 'POST';
        if (isPush || /[?&]service=git-receive-pack(&|$)/.test(req.url ?? '')) {
          // The ref advertisement refuses early with a message git shows; the push itself counts.
          rate.check(app, account.email, isPush);
          const dir = await ensureRepo(o.reposDir, repo, o.hook, o.maxRepoBytes);
          await checkRepoSize(dir, app, o.maxRepoBytes);
          o.onPusher?.(app, account.email);
        } else {
          await ensureRepo(o.reposDir, repo, o.hook, o.maxRepoBytes);
        }
        if (isPush) {
          res.on('close', () => {
            if (res.writableFinished) return;
            const receiver = receivers.get(req);
            o.onPushGone?.(app, receiver?.pid);
            // Its upload will never finish: EOF lets receive-pack exit and drop the quarantined objects.
            receiver?.stdin?.on('error', () => undefined);
            receiver?.stdin?.end();
          });
        }
        swallowRequestErrors(req, o.log, app);
        // node-git-server finds the repository by the path: the app's, by id (repos.ts).
        req.url = `/${repoDirName(repo)}/${m[2]}${(req.url ?? '').slice(pathname.length)}`;
        git.handle(req, res);
      } catch (err) {
        const status = err instanceof PaasError ? err.status : 500;
        if (status >= 500) o.log.error('git request failed', { app, err: errorMessage(err) });
        const hidden = status === 404 || status === 403;
        const shown = status === 401 || status === 429 || status === 413 ? status : hidden ? 404 : 503;
        deny(res, shown, hidden ? `Couldn't find app ${app}, or you do not have access to it.` : errorMessage(err));
      }
    })();
  };
}

/**
 * node-git-server re-emits every `error` of the request on its own service object, which
 * nobody can listen to before the push's first bytes are parsed: a client that goes away
 * mid-upload (Ctrl-C: "aborted") made it an uncaught exception that stopped all of paas. The
 * request's errors are logged here instead; its `close` still reaches the gate (cancel).
 */
function swallowRequestErrors(req: http.IncomingMessage, log: Logger, app: string): void {
  const emit = req.emit.bind(req) as (event: string | symbol, ...args: unknown[]) => boolean;
  req.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    if (event !== 'error') return emit(event, ...args);
    log.info('git client went away', { app, err: errorMessage(args[0]) });
    return true;
  }) as typeof req.emit;
}
