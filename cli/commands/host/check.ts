import { Command } from '@oclif/core';
import { checkHost } from '../../../daemon/host-check';
import { errorMessage, loadConfig } from '../../../shared';

export default class HostCheck extends Command {
  static override description = `check that this paas binary can run the engine host on this machine's settings and data dir
Loads the configuration, reads the data dir's format version and every container's state, and probes the OCI
runtime, without touching the agent that may be running. Exits non-zero with the reasons when a check fails:
run it with a new release before restarting the host's service on it (docs/operations.md, "Upgrade").`;
  static override examples = ['$ sudo paas host:check', '$ sudo PAAS_CONFIG_FILE=/etc/paas/paas.env /opt/paas-new/bin/paas host:check && sudo systemctl restart paas-host'];

  async run(): Promise<void> {
    await this.parse(HostCheck);
    if (process.getuid && process.getuid() !== 0) this.error('paas host:check probes the container runtime and must run as root. Try: sudo paas host:check', { exit: 1 });
    let config;
    try {
      config = loadConfig();
    } catch (err) {
      this.error(errorMessage(err), { exit: 1 });
    }
    const check = await checkHost(config);
    for (const line of check.passed) this.log(`ok    ${line}`);
    if (check.problems.length) this.error(`This paas cannot run the host:\n${check.problems.map((p) => `  ${p}`).join('\n')}`, { exit: 1 });
    this.log('This paas can run the host.');
  }
}
