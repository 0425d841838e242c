import fs from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { certLines } from '../../cert-format';
import { beginAction, endAction } from '../../action-line';

export default class CertsAdd extends BaseCommand {
  static override description = 'add a TLS certificate (PEM chain, leaf first) and its unencrypted key; the router serves it by SNI';
  static override examples = ['$ paas certs:add server.crt server.key -a hello', '$ paas certs:add fullchain.pem privkey.pem --domain www.example.com'];
  static override args = {
    cert: Args.string({ required: true, description: 'the certificate file (PEM; intermediates after it)' }),
    key: Args.string({ required: true, description: 'the private key file (PEM, without passphrase)' }),
  };
  static override flags = { ...appFlags, domain: Flags.string({ description: "serve it only for this one of the app's domains (repeatable)", multiple: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CertsAdd);
    const app = this.resolveApp(flags);
    const read = (file: string, what: string): string => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch (err) {
        this.error(`Cannot read the ${what} file ${file}: ${(err as Error).message}.`, { exit: 1 });
      }
    };
    const body = { certificate_chain: read(args.cert, 'certificate'), private_key: read(args.key, 'key'), ...(flags.domain ? { domains: flags.domain } : {}) };
    beginAction(`Adding SSL certificate to ${app}`);
    // A refusal ends the line with ' !' (BaseCommand.catch), then says why.
    const cert = await this.client().addCert(app, body);
    endAction('done');
    this.log(`${app} now uses ${cert.name} for ${cert.domains.join(', ')}`);
    for (const line of certLines(cert)) this.log(line);
  }
}
