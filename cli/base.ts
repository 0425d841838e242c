/**
 * The base of every command: the API client from the login, `--app` found from the git
 * remote when not given (with the fix when it cannot be), and errors printed as the
 * API's message plus the next step, with a non-zero exit.
 */
import { Command, Flags, ux, type Interfaces } from '@oclif/core';
import { ControllerClient } from '../controller/client';
import { PaasError } from '../shared/errors';
import { interruptAction } from './action-line';
import { readCredentials, type Credentials } from './credentials';
import { paasRemotes } from './git';

export const DEFAULT_API = 'http://127.0.0.1:5000';

export const appFlags = {
  app: Flags.string({ char: 'a', description: 'app to run the command against' }),
  remote: Flags.string({ char: 'r', description: 'git remote of the app to use' }),
};

export abstract class BaseCommand extends Command {
  protected credentials(): Credentials {
    const c = readCredentials();
    if (!c) this.error('You are not logged in. Run `paas login` first.', { exit: 1 });
    return c;
  }

  protected client(): ControllerClient {
    const c = this.credentials();
    return new ControllerClient(process.env.PAAS_API_URL ?? c.api, c.token);
  }

  /** The app from --app, else from --remote, else from the only paas remote of this repo. */
  protected resolveApp(flags: { app?: string; remote?: string }): string {
    if (flags.app) return flags.app;
    const host = new URL(this.credentials().api).hostname;
    const remotes = paasRemotes(host);
    if (flags.remote) {
      const app = remotes.get(flags.remote);
      if (!app) this.error(`The git remote ${flags.remote} does not point at a paas app. Use --app NAME.`, { exit: 1 });
      return app;
    }
    const apps = [...new Set(remotes.values())];
    if (remotes.has('paas')) return remotes.get('paas') as string;
    if (apps.length === 1) return apps[0];
    if (apps.length === 0) this.error('No app specified. Run this command from an app folder with a paas remote, or pass --app NAME.', { exit: 1 });
    this.error(`Several apps are git remotes here (${apps.join(', ')}). Choose one with --app NAME or --remote REMOTE.`, { exit: 1 });
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    const failed = ux.colorize('bold', ux.colorize('red', '!'));
    // `Scaling dynos... ` waits for its outcome: end it, so the error has a line of its own.
    interruptAction(failed);
    if (err instanceof PaasError) {
      // A spinner holds back what is written meanwhile: end it first, as oclif does, or the message is lost.
      if (ux.action.running) ux.action.stop(failed);
      this.logToStderr(` ▸    ${err.message}`);
      this.exit(1);
    }
    return super.catch(err);
  }

  protected table(rows: Record<string, string | number>[], columns: string[]): void {
    if (rows.length === 0) return;
    const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
    this.log(line(columns.map((c) => c.toUpperCase())));
    this.log(line(widths.map((w) => '─'.repeat(w))));
    for (const r of rows) this.log(line(columns.map((c) => String(r[c] ?? ''))));
  }
}
