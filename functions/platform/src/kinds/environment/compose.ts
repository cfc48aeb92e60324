import { FatalError } from '../../errors.js';
import { environmentConfigsRequirement, platformConfigLayers, type PlatformConfig } from '../../environment-config/platform-config.js';
import { environmentConfigSchema } from './config.js';
import { type Composed, type KindDefinition } from '../kind.js';
import { buildEksAccess } from './access.js';
import { buildAddons } from './addons/index.js';
import { buildClusterAccess } from './addons/cluster-access.js';
import { buildBuckets } from './buckets.js';
import { buildCluster } from './cluster.js';
import { EnvironmentContext, STATEFUL_LABEL } from './context.js';
import { awsInputs, environmentsRequirement, hubsRequirement } from './inputs.js';
import { buildDatabase } from './database.js';
import { buildDns } from './dns.js';
import { buildKarpenter } from './karpenter.js';
import { buildNetwork } from './network.js';
import { buildOnprem, onpremInputs } from './onprem.js';
import { buildSystemNodes } from './nodes.js';
import { environmentSpecSchema, environmentStatusSchema, type EnvironmentSpec } from './schema.js';
import { environmentStatus } from './status.js';
import { buildUsages } from './usages.js';

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

  requirements: [environmentConfigsRequirement, hubsRequirement, environmentsRequirement],
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
        : new EnvironmentContext({ ...base, provider: 'aws', ...awsInputs(xr, spec, config, found) });
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
