import type { EnvironmentContext } from './context.js';

/** The Environment status, filled from observed resources as they appear; absent values are left out. */
export function environmentStatus(ctx: EnvironmentContext): Record<string, unknown> {
  if (ctx.provider !== 'aws') {
    // On-prem there is no zone id, VPC, endpoint or account to report: the zone's name and the cluster's.
    return { clusterName: ctx.clusterName, zone: { name: ctx.zoneName }, ...ctx.pendingStatus() };
  }
  const status: Record<string, unknown> = { clusterName: ctx.clusterName, accountId: ctx.accountId };
  const zoneId = ctx.observedString('zone', 'zoneId');
  const nameServers = ctx.observedStrings('zone', 'nameServers');
  status.zone = { name: ctx.zoneName, ...(zoneId ? { id: zoneId } : {}), ...(nameServers ? { nameServers: [...nameServers].sort() } : {}) };
  const set = (field: string, value: unknown) => {
    if (value !== undefined) status[field] = value;
  };
  set('vpcId', ctx.observedString('vpc', 'id'));
  set('clusterEndpoint', ctx.observedString('cluster', 'endpoint'));
  set('oidcIssuer', ctx.observedString('cluster', 'identity', 'oidc', 'issuer'));
  const endpoint = ctx.observedString('database', 'address');
  const port = (ctx.atProvider('database') ?? {}).port;
  if (endpoint !== undefined) status.database = { endpoint, ...(typeof port === 'number' ? { port } : {}) };
  set('transitGatewayAttachmentId', ctx.observedString('transit-gateway-attachment', 'id'));
  return { ...status, ...ctx.pendingStatus() };
}
