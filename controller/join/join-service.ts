/**
 * Admits new hosts (`paas host:join`): on paas.controller.hosts.join, a machine presents
 * a join token; once the token checks out it gets its container subnet and what its
 * configuration file needs, the registry's token included. Nothing but an error goes to
 * an asker whose token does not check out. One controller of several answers (a queue).
 */
import type { NatsConnection, Subscription } from 'nats';
import { publish, subjects, subscribe, type HostJoinReply, type Logger } from '../../shared';
import type { HostDirectory } from '../hosts';
import { HostSetting } from '../models';
import { useJoinToken } from './join-tokens';
import { bridgeCidrOf, hostSubnet } from './subnet-pool';

/** What the control plane tells the hosts it admits (daemon/node.ts fills it from the node's configuration). */
export interface JoinSettings {
  /** PAAS_HOST_SUBNET_POOL: the /24s hosts' containers get. */
  subnetPool: string;
  /** Subnets hosts must not get (the control plane's own bridge). */
  reserved: string[];
  registryUrl?: string;
  registryToken?: string;
  /** PAAS_REGISTRY_USER and PAAS_INSECURE_REGISTRIES, for an external registry. */
  registryUser?: string;
  insecureRegistries?: string;
  nodeCidr?: string;
  natsUrl?: string;
}

export function serveHostJoins(nc: NatsConnection, settings: JoinSettings, hosts: HostDirectory, log: Logger): Subscription {
  return subscribe(
    nc,
    subjects.hostJoin.name,
    subjects.hostJoin.schema,
    log,
    async (req, reply) => {
      const token = await useJoinToken(req.token);
      // A host an operator removed comes back when it joins again: the token is the operator's consent.
      const setting = await HostSetting.findByPk(req.hostId);
      if (setting?.removed) {
        await setting.update({ removed: false, draining: false });
        publish(nc, subjects.hostsChanged.name, subjects.hostsChanged.schema, { hostId: req.hostId, removed: false });
      }
      // Hosts configured by hand (their heartbeats' subnets) keep theirs too.
      const subnet = await hostSubnet(req.hostId, settings.subnetPool, [...settings.reserved, ...hosts.subnets(req.hostId)]);
      const answer: HostJoinReply = {
        hostId: req.hostId,
        subnet,
        bridgeCidr: bridgeCidrOf(subnet),
        registryUrl: settings.registryUrl,
        registryToken: settings.registryToken,
        registryUser: settings.registryUser,
        insecureRegistries: settings.insecureRegistries,
        nodeCidr: settings.nodeCidr,
        natsUrl: settings.natsUrl,
      };
      log.info('host joined', { hostId: req.hostId, address: req.address, subnet, token: token.id });
      reply(answer);
    },
    { queue: 'paas-controller-join' },
  );
}
