import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base';
import { parseDuration } from '../../join-duration';
import { jsonFlag, toJson } from '../../json-output';

export default class HostsJoinToken extends BaseCommand {
  static override description = `make a token that admits a new host, and print the command to run on it (operators)
The token works for any number of machines until it expires (--expires-in, default 24h) or is revoked
(\`paas hosts:join-tokens:revoke\`). Its secret is shown only now.`;
  static override examples = ['$ paas hosts:join-token', '$ paas hosts:join-token --expires-in 1h', '$ paas hosts:join-token --json'];
  static override flags = {
    'expires-in': Flags.string({ description: 'how long it admits hosts: 30m, 24h, 7d (1 minute to 30 days)', default: '24h' }),
    ...jsonFlag(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(HostsJoinToken);
    const seconds = parseDuration(flags['expires-in']);
    if (seconds === undefined) this.error(`--expires-in takes a duration like 30m, 24h or 7d, not ${JSON.stringify(flags['expires-in'])}.`, { exit: 1 });
    const t = await this.client().createJoinToken(seconds);
    if (flags.json) return this.log(toJson(t));
    this.log(`Join token ${t.id}, valid until ${t.expires_at}. Keep it secret: it admits hosts to the cluster.`);
    this.log('');
    this.log('On the new machine, install paas (docs/operations.md, "Adding a host"), then run:');
    this.log('');
    this.log(`    ${t.command}`);
    this.log('');
    if (!t.nats_url) this.log("Replace <nats-url> with the cluster's NATS as the new machine reaches it, like nats://10.0.0.21:4222 (the control plane's NATS_URL is loopback or unset).");
    this.log(`The host appears in \`paas hosts\` once it has joined. Revoke the token with: paas hosts:join-tokens:revoke ${t.id}`);
  }
}
