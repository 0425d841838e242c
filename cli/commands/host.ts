import { Command, Flags } from '@oclif/core';
import { runHostInForeground } from '../run-host';

export default class Host extends Command {
  static override description = `run this machine as an engine host of a paas cluster: the engine and its agent only
Joins the cluster's NATS (NATS_URL) and takes the jobs its scheduler places here; images are pulled from the
cluster's registry with PAAS_REGISTRY_TOKEN. \`paas host:join\` writes these settings for you; other nodes
route PAAS_BRIDGE_CIDR's subnet via PAAS_HOST_ADDRESS on their own once they hear the host.
With --upgrade, this paas binary takes over from the agent running on the same data dir once it passed its
self-check (paas host:check); if it fails, it exits and the running agent is never stopped.`;
  static override examples = [
    '$ sudo paas host    # settings from /etc/paas/paas.env, as paas host:join wrote them',
    '$ sudo NATS_URL=nats://10.0.0.1:4222 PAAS_HOST_ID=host-2 PAAS_HOST_ADDRESS=10.0.0.2 PAAS_BRIDGE_CIDR=10.87.2.1/24 PAAS_REGISTRY_TOKEN=... paas host',
    '$ sudo /opt/paas-new/bin/paas host --upgrade       # same settings: the new release replaces the running agent',
  ];
  static override flags = {
    upgrade: Flags.boolean({ description: 'take over from the agent running on this data dir, after checking this binary can' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Host);
    await runHostInForeground(this, { upgrade: flags.upgrade });
  }
}
