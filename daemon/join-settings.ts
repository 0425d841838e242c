/**
 * What a control plane tells the hosts it admits (`paas host:join`,
 * controller/join/join-service.ts), from its own configuration.
 */
import { parseCidr } from '../engine';
import type { PaasConfig } from '../shared';
import type { JoinSettings } from '../controller/join/join-service';
import { registryToken } from './registry-token';
import { natsHosts } from './host-engine';

export function joinSettings(config: PaasConfig, hasRegistry: boolean): JoinSettings {
  // A NATS only reachable on loopback (the embedded one, or 127.0.0.1) means nothing to another machine.
  const servers = (config.natsUrl ?? '').split(',').filter(Boolean);
  const natsUrl = servers.length > 0 && natsHosts(config.natsUrl).length === servers.length ? config.natsUrl : undefined;
  const token = config.registryToken ?? (hasRegistry ? registryToken(config.dataDir) : undefined);
  return {
    subnetPool: config.hostSubnetPool,
    // The control plane's own engine bridge must never be a host's.
    reserved: [parseCidr(config.bridgeCidr).subnet],
    // Hosts pull from the registry as other nodes reach it; without PAAS_REGISTRY_URL no image can travel, so no token goes out either.
    registryUrl: config.registryUrl,
    registryToken: config.registryUrl ? token : undefined,
    // An external registry's account; paas's own registry ignores the user (the default is left unsaid).
    registryUser: config.registryUrl && config.registryUser !== 'paas' ? config.registryUser : undefined,
    insecureRegistries: config.insecureRegistries.length ? config.insecureRegistries.join(',') : undefined,
    nodeCidr: config.nodeCidrs.length ? config.nodeCidrs.join(',') : undefined,
    natsUrl,
  };
}
