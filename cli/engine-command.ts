/**
 * Operator commands that talk to the engine of THIS host over its unix socket (root
 * only), not to the platform API: what runs here, whatever the controller thinks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Flags } from '@oclif/core';
import { EngineClient, engineSocketPath } from '../engine';
import { PaasError } from '../shared/errors';
import { jsonFlag } from './json-output';

export const engineFlags = {
  'data-dir': Flags.string({ description: 'paas data dir of this host', env: 'PAAS_DATA_DIR', default: '/var/lib/paas' }),
  ...jsonFlag(),
};

export abstract class EngineCommand extends Command {
  protected engine(dataDir: string): EngineClient {
    const dir = path.join(dataDir, 'engine');
    const tokenFile = path.join(dir, 'engine-token');
    if (!fs.existsSync(tokenFile)) this.error(`No engine in ${dir}. Is this a paas host? Pass --data-dir if paas runs with another PAAS_DATA_DIR.`, { exit: 1 });
    let token: string;
    try {
      token = fs.readFileSync(tokenFile, 'utf8').trim();
    } catch {
      this.error('Reading the engine token needs root. Try again with sudo.', { exit: 1 });
    }
    return new EngineClient(engineSocketPath(dir), token);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof PaasError) {
      this.logToStderr(` ▸    ${err.message}`);
      this.exit(1);
    }
    return super.catch(err);
  }
}
