/**
 * What each role needs from the rest of the cluster, checked before anything starts so
 * that a node with a missing setting refuses at once with the fix, instead of starting
 * half its roles and failing later.
 */
import type { PaasConfig, Role } from '../shared';

/** The roles that call the controller's API and so need one, local or remote. */
const API_CLIENTS: Role[] = ['scheduler', 'router', 'builder'];

/** Every problem with this node's roles and settings, each a sentence with its fix; empty when it can start. */
export function roleProblems(config: Pick<PaasConfig, 'roles' | 'natsUrl' | 'controllerUrl' | 'controllerToken' | 'registryUrl'>): string[] {
  const has = (r: Role): boolean => config.roles.includes(r);
  const problems: string[] = [];
  // The embedded nats-server listens on loopback only: it serves a node that holds the
  // whole control plane, never one that must meet others.
  if (!config.natsUrl && !has('controller')) {
    const join = has('host') ? ' On a new host, `paas host:join <nats-url> --token T` (a token from `paas hosts:join-token`) writes it and the rest.' : '';
    problems.push(`the ${config.roles.join(', ')} role${config.roles.length > 1 ? 's join' : ' joins'} a cluster: set NATS_URL to the cluster's NATS (e.g. nats://10.0.0.1:4222).${join}`);
  }
  const clients = API_CLIENTS.filter(has);
  if (clients.length && !has('controller')) {
    if (!config.controllerUrl) problems.push(`the ${clients.join(', ')} role${clients.length > 1 ? 's call' : ' calls'} the API and this node runs no controller: set PAAS_CONTROLLER_URL (e.g. http://10.0.0.1:5000), or add the controller role.`);
    if (!config.controllerToken) problems.push('set PAAS_CONTROLLER_TOKEN to the system token of a control node (its <data dir>/secrets/system-token; docs/operations.md, "the system token").');
  }
  // Without a host role here, the builder's images are run elsewhere, so they must go to a registry others reach.
  if (has('builder') && !has('host') && !config.registryUrl) {
    problems.push('the builder role without the host role builds images for other hosts: set PAAS_REGISTRY_URL to the registry they pull from (e.g. http://10.0.0.1:5002, the registry role).');
  }
  return problems;
}
