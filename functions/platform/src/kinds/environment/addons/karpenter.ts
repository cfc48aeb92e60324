import type { EnvironmentContext } from '../context.js';
import { KARPENTER_SERVICE_ACCOUNT } from '../karpenter.js';
import { onAws, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

/** Label every Karpenter node carries: the workload class (NodePool) it was made for. */
export const WORKLOAD_CLASS_LABEL = 'platform.projectcatalyst.io/workload-class';

/** Workload classes whose nodes take only pods that ask for them (taint of the same key). */
const DEDICATED_CLASSES: ReadonlySet<string> = new Set(['compute', 'memory', 'gpu']);

/** Scheduling preference between pools that could all fit a pod: the general pool first. */
const POOL_WEIGHTS: Readonly<Record<string, number>> = { general: 50, compute: 20, memory: 20, gpu: 10 };

/** The enabled workload classes of the config, sorted so renders are stable. */
export function enabledPools(ctx: EnvironmentContext): [string, { instanceCategories: string[]; cpuLimit: number }][] {
  return Object.entries(ctx.config.nodes.pools)
    .filter(([, pool]) => pool !== undefined && pool.enabled)
    .map(([name, pool]) => [name, pool!] as [string, { instanceCategories: string[]; cpuLimit: number }])
    .sort(([a], [b]) => a.localeCompare(b));
}

function nodePool(ctx: EnvironmentContext, name: string, pool: { instanceCategories: string[]; cpuLimit: number }): Record<string, unknown> {
  const { consolidation, capacityTypes } = ctx.config.nodes;
  const taints = DEDICATED_CLASSES.has(name)
    ? [name === 'gpu' ? { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' } : { key: WORKLOAD_CLASS_LABEL, value: name, effect: 'NoSchedule' }]
    : [];
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name },
    spec: {
      template: {
        metadata: { labels: { [WORKLOAD_CLASS_LABEL]: name } },
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name },
          requirements: [
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: [...capacityTypes] },
            { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: [...pool.instanceCategories] },
            // Older generations lack Nitro (and so EBS encryption by default and ENA).
            { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['4'] },
            // Project images are built for amd64; arm64 would need every image to be multi-arch.
            { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
            { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
          ],
          ...(taints.length > 0 ? { taints } : {}),
          // Nodes are replaced every 30 days so AMI and kernel updates roll through.
          expireAfter: '720h',
        },
      },
      disruption: {
        consolidationPolicy: consolidation.policy,
        consolidateAfter: consolidation.consolidateAfter,
        // At most a tenth of a pool's nodes are disrupted at once.
        budgets: [{ nodes: '10%' }],
      },
      limits: { cpu: String(pool.cpuLimit) },
      weight: POOL_WEIGHTS[name] ?? 10,
    },
  };
}

function nodeClass(ctx: EnvironmentContext, name: string): Record<string, unknown> {
  const discovery = { 'karpenter.sh/discovery': ctx.clusterName };
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name },
    spec: {
      // Pinned per environment: a new Bottlerocket release reaches a pool (as drift) only when the config changes.
      amiSelectorTerms: [{ alias: ctx.config.nodes.amiAlias }],
      // metadata.name of the node role is its AWS name; Karpenter makes the instance profile.
      role: ctx.name('role-node-karpenter'),
      // Private subnets carry the discovery tag (network.ts).
      subnetSelectorTerms: [{ tags: discovery }],
      // The cluster security group, which EKS tags with aws:eks:cluster-name: the database and
      // the system nodes admit it, so Karpenter nodes reach both like the system nodes do.
      securityGroupSelectorTerms: [{ tags: { 'aws:eks:cluster-name': ctx.clusterName } }],
      // Hop limit 1: pods cannot reach the node's credentials; they use Pod Identity.
      metadataOptions: { httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' },
      // Bottlerocket: xvda holds the OS, xvdb the container images and ephemeral storage.
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', ebs: { volumeSize: '4Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } },
        { deviceName: '/dev/xvdb', ebs: { volumeSize: '50Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } },
      ],
      tags: { ...ctx.tags('karpenter', { 'workload-class': name }), ...discovery },
    },
  };
}

/**
 * Karpenter's CRDs as a release of their own (the karpenter-crd chart, same
 * version): its templates are upgraded with the release, where the karpenter
 * chart's crds/ would be installed once and never again.
 */
export const karpenterCrd: AddonDefinition = {
  name: 'karpenter-crd',
  chart: { repository: 'oci://public.ecr.aws/karpenter/karpenter-crd', chart: 'karpenter-crd', version: '1.14.1' },
  enabled: onAws,
  release() {
    return { chart: 'karpenter-crd', namespace: KARPENTER_SERVICE_ACCOUNT.namespace, values: {} };
  },
};

/**
 * Karpenter: the controller (its AWS role and Pod Identity association are
 * composed by kinds/environment/karpenter.ts), then one NodePool and one
 * EC2NodeClass per enabled workload class, with the capacity types and
 * consolidation of the environment's config.
 */
export const karpenter: AddonDefinition = {
  name: 'karpenter',
  chart: { repository: 'oci://public.ecr.aws/karpenter/karpenter', chart: 'karpenter', version: '1.14.1' },
  enabled: onAws,
  dependsOn: ['karpenter-crd'],
  waitFor: ['pod-identity-karpenter'],
  release(ctx) {
    const replicas = replicasOf(ctx, 'karpenter');
    return {
      chart: 'karpenter',
      namespace: KARPENTER_SERVICE_ACCOUNT.namespace,
      // The karpenter-crd release owns the CRDs.
      skipCRDs: true,
      values: {
        settings: { clusterName: ctx.clusterName, interruptionQueue: ctx.name('queue-interruptions') },
        serviceAccount: { create: true, name: KARPENTER_SERVICE_ACCOUNT.name },
        replicas,
        // Karpenter must never run on nodes it manages: the system nodes only.
        nodeSelector: { 'kubernetes.io/os': 'linux', ...SYSTEM_NODE_SELECTOR },
        tolerations: [CRITICAL_ADDONS_TOLERATION],
        controller: { resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } } },
        ...(highlyAvailable(ctx, 'karpenter') ? { podDisruptionBudget: { name: 'karpenter', maxUnavailable: 1 } } : {}),
      },
    };
  },
  objects(ctx) {
    const objects: Record<string, Record<string, unknown>> = {};
    for (const [name, pool] of enabledPools(ctx)) {
      objects[`node-class-${name}`] = nodeClass(ctx, name);
      objects[`node-pool-${name}`] = nodePool(ctx, name, pool);
    }
    return objects;
  },
};
