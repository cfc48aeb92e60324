import { FatalError } from '../../errors.js';
import { environmentConfigsRequirement, platformConfigLayers, type PlatformConfig } from '../../environment-config/platform-config.js';
import type { FetchedResources } from '../../environment-config/resolve.js';
import { environmentConfigSchema } from './config.js';
import { type Composed, type KindDefinition, type RequiredResources } from '../kind.js';
import { API_GROUP_VERSION } from '../../composite.js';
import { buildEksAccess } from './access.js';
import { buildAddons } from './addons/index.js';
import { buildClusterAccess } from './addons/cluster-access.js';
import { buildBuckets } from './buckets.js';
import { subnetLayout } from '../../resources/cidr.js';
import { buildCluster } from './cluster.js';
import { EnvironmentContext, STATEFUL_LABEL, type AwsInputs, type HubAttachment } from './context.js';
import { buildDatabase } from './database.js';
import { buildDns } from './dns.js';
import { buildKarpenter } from './karpenter.js';
import { buildNetwork } from './network.js';
import { buildOnprem, onpremInputs } from './onprem.js';
import { buildSystemNodes } from './nodes.js';
import { environmentSpecSchema, environmentStatusSchema, type EnvironmentSpec } from './schema.js';
import { environmentStatus } from './status.js';
import { buildUsages } from './usages.js';

/**
 * Every Hub, fetched before each call: which one an Environment attaches to is
 * in its spec, which the Composition cannot see, and a platform has one or
 * two. The function picks the referenced one.
 */
export const hubsRequirement: FetchedResources = { requirementName: 'hubs', apiVersion: API_GROUP_VERSION, kind: 'Hub' };

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new FatalError(message);
  return value;
}

/**
 * Reads the Hub an Environment attaches to. Missing: a Fatal. Not yet
 * publishing its Transit Gateway and route tables: 'pending', so the
 * attachment waits rather than guessing.
 */
function readHub(spec: EnvironmentSpec, found: RequiredResources): HubAttachment | 'pending' | undefined {
  const ref = spec.network?.hubRef;
  if (ref === undefined) return undefined;
  const hub = (found[hubsRequirement.requirementName] ?? []).find((candidate) => {
    const metadata = (candidate.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    return metadata.name === ref.name && metadata.namespace === ref.namespace;
  });
  if (hub === undefined) throw new FatalError(`spec.network.hubRef: cannot find Hub ${ref.namespace}/${ref.name}`);
  const status = (hub.status ?? {}) as { transitGatewayId?: unknown; ownerAccountId?: unknown; routeTables?: { egress?: unknown; workload?: unknown; platform?: unknown } };
  const tables = status.routeTables ?? {};
  if (typeof status.transitGatewayId !== 'string' || typeof tables.egress !== 'string' || typeof tables.workload !== 'string' || typeof tables.platform !== 'string') {
    return 'pending';
  }
  return {
    transitGatewayId: status.transitGatewayId,
    ...(typeof status.ownerAccountId === 'string' ? { ownerAccountId: status.ownerAccountId } : {}),
    routeTables: { egress: tables.egress, workload: tables.workload, platform: tables.platform },
  };
}

/** Checks the AWS-only fields up front, naming each, before any builder runs. */
function awsInputs(spec: EnvironmentSpec, config: PlatformConfig, found: RequiredResources): { domain: string; aws: AwsInputs } {
  const hub = readHub(spec, found);
  const region = required(spec.region, 'spec.region: required when provider is aws');
  const cidr = required(spec.network?.cidr, 'spec.network.cidr: required when provider is aws');
  try {
    subnetLayout(cidr);
  } catch (error) {
    if (error instanceof FatalError) throw error.wrap('spec.network.cidr');
    throw error;
  }
  const domain = required(spec.domain, 'spec.domain: required when provider is aws');
  const accountId = required(config.aws?.accountId, 'cannot use the merged EnvironmentConfig: data.aws.accountId: required when provider is aws');
  const parentZoneId = required(config.dns?.parentZoneId, 'cannot use the merged EnvironmentConfig: data.dns.parentZoneId: required when provider is aws');
  const dnsAccount = required(config.dns?.account, 'cannot use the merged EnvironmentConfig: data.dns.account: required when provider is aws (the account owning the parent zone)');
  const platform = required(config.aws?.platform, 'cannot use the merged EnvironmentConfig: data.aws.platform: required when provider is aws (where the platform cluster reaches the environment from)');
  let network: AwsInputs['network'];
  if (spec.network?.hubRef !== undefined) {
    const account = required(config.aws?.network, 'cannot use the merged EnvironmentConfig: data.aws.network: required with spec.network.hubRef (the account owning the Hub)');
    if (hub !== undefined && hub !== 'pending' && hub.ownerAccountId !== undefined && hub.ownerAccountId !== account.accountId) {
      throw new FatalError(
        `spec.network.hubRef: Hub ${spec.network.hubRef.namespace}/${spec.network.hubRef.name} belongs to account ${hub.ownerAccountId}, but data.aws.network.accountId is ${account.accountId}; name the Hub's account in the EnvironmentConfig`,
      );
    }
    network = { accountId: account.accountId, providerConfig: { kind: 'ClusterProviderConfig', name: account.providerConfigName } };
  }
  return {
    domain,
    aws: { region, cidr, accountId, parentZoneId, dnsProviderConfig: { kind: 'ClusterProviderConfig', name: dnsAccount.providerConfigName }, network, platform, hub },
  };
}

/** The AWS resources of an Environment, one builder per concern, then the operators in the new cluster. */
function buildAws(ctx: EnvironmentContext): void {
  buildNetwork(ctx);
  buildCluster(ctx);
  buildEksAccess(ctx);
  buildSystemNodes(ctx);
  buildKarpenter(ctx);
  buildDatabase(ctx);
  buildDns(ctx);
  buildBuckets(ctx);
  buildClusterAccess(ctx);
  buildAddons(ctx);
  buildUsages(ctx);
}

/** Environment: everything an environment needs, in AWS or on an existing cluster, built by one builder per concern. */
export const environmentKind: KindDefinition<EnvironmentSpec, PlatformConfig> = {
  kind: 'Environment',
  plural: 'environments',
  description: 'A whole environment: on AWS the network, EKS cluster, nodes, database, DNS, buckets and IAM; on-prem the platform operators on an existing cluster.',
  categories: ['platform', 'catalyst-forge'],
  printerColumns: [
    { name: 'ENVIRONMENT', type: 'string', jsonPath: '.spec.environment' },
    { name: 'PROVIDER', type: 'string', jsonPath: '.spec.provider' },
    { name: 'REGION', type: 'string', jsonPath: '.spec.region' },
    { name: 'CLUSTER', type: 'string', jsonPath: '.status.clusterName' },
    { name: 'ZONE', type: 'string', jsonPath: '.status.zone.name' },
  ],
  spec: environmentSpecSchema,
  status: environmentStatusSchema,

  requirements: [environmentConfigsRequirement, hubsRequirement],
  config: (_xr, spec) => ({
    layers: platformConfigLayers(spec.environment),
    schema: environmentConfigSchema,
    ...(spec.overrides !== undefined ? { override: { source: 'spec.overrides', data: spec.overrides } } : {}),
  }),

  compose({ xr, spec, config, observed, required: found }): Composed {
    const base = { xr, spec, config, observed };
    const ctx =
      spec.provider === 'onprem'
        ? new EnvironmentContext({ ...base, provider: 'onprem', ...onpremInputs(spec, config) })
        : new EnvironmentContext({ ...base, provider: 'aws', ...awsInputs(spec, config, found) });
    if (ctx.provider === 'onprem') buildOnprem(ctx);
    else buildAws(ctx);
    const hub = ctx.provider === 'aws' ? ctx.aws.hub : undefined;

    // Observed resources no builder asked for were switched off by the spec or config
    // (fewer zones, a Hub instead of NAT, an admin removed). Data never goes that way.
    const removed = Object.keys(observed).filter((key) => ctx.resources[key] === undefined);
    const statefulRemoved = removed.filter((key) => ((observed[key]?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {})[STATEFUL_LABEL] === 'true');
    if (statefulRemoved.length > 0) {
      throw new FatalError(`cannot remove ${statefulRemoved.map((k) => `"${k}"`).join(', ')}: it holds data; delete the Environment to remove it deliberately`);
    }
    return {
      resources: ctx.resources,
      status: environmentStatus(ctx),
      intentionallyRemoved: removed,
      ...(ctx.pending.length > 0 ? { ready: false } : {}),
      ...(hub === 'pending' ? { warnings: [`Hub ${spec.network?.hubRef?.namespace}/${spec.network?.hubRef?.name} has not published its Transit Gateway yet; the attachment waits for it`] } : {}),
    };
  },
};
