import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { Args, Command, Flags } from '@oclif/core';
import { joinCluster } from '../../../daemon/host-join';
import { DEFAULT_CONFIG_FILE, errorMessage } from '../../../shared';
import { runHostInForeground } from '../../run-host';
import { beginAction, endAction } from '../../action-line';

const UNIT = 'paas-host';

export default class HostJoin extends Command {
  static override description = `join this machine to a paas cluster as an engine host
Run it on the new machine with the command \`paas hosts:join-token\` printed: the controller checks the token and
answers with this host's container subnet and the cluster's registry credentials, which are written to the node's
configuration file (PAAS_CONFIG_FILE, default /etc/paas/paas.env; its other settings are kept). Then the host starts:
with systemd, as the paas-host service; --start runs it here in the foreground instead.`;
  static override examples = [
    '$ sudo paas host:join nats://10.0.0.21:4222 --token pjt_1a2b3c4d_...',
    '$ sudo paas host:join nats://10.0.0.21:4222 --token pjt_1a2b3c4d_... --host-id host-7 --address 10.0.0.57',
  ];
  static override args = { 'nats-url': Args.string({ description: "the cluster's NATS, as `paas hosts:join-token` prints it", required: true }) };
  static override flags = {
    token: Flags.string({ description: 'the join token from `paas hosts:join-token`', required: true, env: 'PAAS_JOIN_TOKEN' }),
    'host-id': Flags.string({ description: "this host's id in `paas hosts` (default: the configuration file's, else the machine's name)" }),
    address: Flags.string({ description: 'the address other nodes reach this machine at (default: the one it reaches NATS from)' }),
    start: Flags.boolean({ description: 'run the host here in the foreground once joined (instead of the paas-host service)', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(HostJoin);
    if (process.getuid && process.getuid() !== 0) this.error('paas host:join writes the node configuration and runs containers: run it as root (sudo paas host:join ...).', { exit: 1 });
    beginAction(`Joining the cluster at ${args['nats-url']}`);
    let joined;
    try {
      joined = await joinCluster({ natsUrl: args['nats-url'], token: flags.token, hostId: flags['host-id'], address: flags.address });
    } catch (err) {
      endAction('failed');
      this.error(errorMessage(err), { exit: 1 });
    }
    endAction('done');
    const { reply, file } = joined;
    this.log(`This machine is host ${reply.hostId}: containers ${reply.subnet}, reached at ${joined.values.PAAS_HOST_ADDRESS}.`);
    this.log(`Wrote ${file} (${Object.keys(joined.values).join(', ')}).`);
    if (!reply.registryUrl) this.warn('The control plane has no PAAS_REGISTRY_URL: this host cannot pull the images it runs until the control plane sets it and the host joins again.');
    // What the host process reads is the file: environment values would override it.
    process.env.PAAS_CONFIG_FILE = file;
    for (const key of Object.keys(joined.values)) delete process.env[key];
    if (flags.start) return runHostInForeground(this);
    // The unit reads /etc/paas/paas.env: with another file, the service would not see what was written.
    if (fs.existsSync('/run/systemd/system') && fs.existsSync(`/etc/systemd/system/${UNIT}.service`) && file === DEFAULT_CONFIG_FILE) {
      for (const argv of [['enable', UNIT], ['restart', UNIT]]) {
        const r = spawnSync('systemctl', argv, { encoding: 'utf8' });
        if (r.status !== 0) this.error(`systemctl ${argv.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}. Fix it, then: systemctl restart ${UNIT}`, { exit: 1 });
      }
      this.log(`Started ${UNIT}. It appears in \`paas hosts\` within seconds; follow it with: journalctl -u ${UNIT} -f`);
      return;
    }
    this.log(file === DEFAULT_CONFIG_FILE
      ? `Start it: sudo paas host   (or install the ${UNIT} service: sudo scripts/install.sh host, then run this again)`
      : `Start it: sudo PAAS_CONFIG_FILE=${file} paas host`);
  }
}
