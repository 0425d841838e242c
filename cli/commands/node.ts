import path from 'node:path';
import { Command } from '@oclif/core';
import { startNode, type RunningNode } from '../../daemon';
import { createLogger, errorMessage, loadConfig, type PaasConfig } from '../../shared';

export default class Node extends Command {
  static override description = `run the roles this node's configuration names: controller, scheduler, router, builder, registry, host
Settings come from the environment over one KEY=VALUE file per node (PAAS_CONFIG_FILE, default /etc/paas/paas.env;
packaging/paas.env.example lists every setting by role). PAAS_ROLES names the roles (default: all, as paas up).
A node without the controller role reaches the API with PAAS_CONTROLLER_URL and PAAS_CONTROLLER_TOKEN; every node
but a lone all-roles one needs NATS_URL. See docs/operations.md for a production layout.`;
  static override examples = [
    '$ sudo paas node                                   # the roles and settings of /etc/paas/paas.env',
    '$ sudo PAAS_CONFIG_FILE=/etc/paas/router.env paas node',
    '$ PAAS_ROLES=router NATS_URL=nats://10.0.0.1:4222 PAAS_CONTROLLER_URL=http://10.0.0.1:5000 PAAS_CONTROLLER_TOKEN=... paas node',
  ];

  async run(): Promise<void> {
    await this.parse(Node);
    let config: PaasConfig;
    try {
      config = loadConfig();
    } catch (err) {
      this.error(errorMessage(err), { exit: 1 });
    }
    // The engine (host and builder roles) runs containers; the other roles need no root.
    const engine = config.roles.includes('host') || config.roles.includes('builder');
    if (engine && process.getuid && process.getuid() !== 0) this.error('the host and builder roles run containers and must run as root. Try: sudo paas node', { exit: 1 });
    const log = createLogger('paas-node', { level: config.logLevel });
    let node: RunningNode;
    try {
      node = await startNode(config, log);
    } catch (err) {
      this.error(`paas node could not start: ${errorMessage(err)}`, { exit: 1 });
    }
    this.log(`paas node ${config.hostId} is up: ${node.roles.join(', ')}${config.configFile ? ` (settings from ${config.configFile})` : ''}`);
    for (const line of summary(node, config)) this.log(`  ${line}`);
    if (node.controller?.adminPassword) this.log(`Admin login (shown once): ${node.controller.adminEmail} / ${node.controller.adminPassword}`);
    this.log('Stop it with Ctrl-C or SIGTERM (containers keep running and are found again at the next start).');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    this.log('Stopping paas node...');
    await node.stop();
    this.log('paas node stopped.');
  }
}

/** One line per role: where it listens or what it joined. */
function summary(node: RunningNode, config: PaasConfig): string[] {
  const lines = [`NATS      ${node.natsUrl}${config.natsUrl ? '' : ' (embedded)'}`];
  if (node.controller) {
    lines.push(`API       ${node.controller.url} (${config.databaseUrl ? 'external database' : 'SQLite'})`);
    lines.push(`          other nodes' PAAS_CONTROLLER_TOKEN: the content of ${path.join(config.dataDir, 'secrets', 'system-token')}`);
  }
  else if (node.controllerUrl) lines.push(`API       ${node.controllerUrl} (remote)`);
  if (node.scheduler) lines.push('scheduler leads when it holds the lease (one leader per cluster)');
  if (node.router) lines.push(`router    http://*.${config.domain}:${node.router.port}/${node.router.httpsPort ? ` and https on ${node.router.httpsPort}` : ''}`);
  if (node.builder) lines.push(`git       http://${config.publicHost}:${node.builder.port}/APP.git`);
  if (node.registryPort) lines.push(`registry  port ${node.registryPort} (OCI)`);
  if (node.host) lines.push(`host      containers ${node.host.subnet} via ${node.host.address} (other nodes: ip route add ${node.host.subnet} via ${node.host.address})`);
  return lines;
}
