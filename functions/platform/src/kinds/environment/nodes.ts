import { awsManagedPolicy, policyJson, serviceTrust } from '../../resources/aws/iam-policy.js';
import { field, ready } from '../../resources/aws/composition.js';
import type { EnvironmentContext } from './context.js';
import { runningVersion } from './cluster.js';
import { subnetRefs } from './network.js';

const COMPONENT = 'nodes';

/** Policies every node role carries: join the cluster, pull images, run the VPC CNI, SSM for Bottlerocket's control container. */
export const NODE_MANAGED_POLICIES = ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEKS_CNI_Policy', 'AmazonSSMManagedInstanceCore'].map(
  awsManagedPolicy,
);

/** A role EC2 instances assume as cluster nodes. */
export function nodeRole(ctx: EnvironmentContext, key: string, component: string): void {
  ctx.add(key, component, 'iam.aws.m.upbound.io/v1beta1:Role', {
    assumeRolePolicy: policyJson(serviceTrust('ec2.amazonaws.com')),
    managedPolicyArns: NODE_MANAGED_POLICIES,
    tags: ctx.tags(component),
  });
}

/** Instance metadata: IMDSv2 only, and one hop, so pods cannot reach the node's credentials. */
export const IMDS_V2_ONLY = { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 } as const;

/**
 * The system node group: Bottlerocket, on-demand, sized from config, tainted
 * CriticalAddonsOnly so only critical add-ons run there. A launch template
 * requires IMDSv2 and encrypts both Bottlerocket volumes. Nothing autoscales
 * it and Karpenter never makes system nodes: everything pinned here must fit
 * at minSize, which the capacity model (test/aws/capacity.test.ts) proves
 * for every example.
 */
export function buildSystemNodes(ctx: EnvironmentContext): void {
  const { region } = ctx;
  const system = ctx.config.nodes.system;
  nodeRole(ctx, 'role-node-system', COMPONENT);

  const encryptedVolume = (deviceName: string, volumeSize: number) => ({
    deviceName,
    ebs: { encrypted: 'true', volumeType: 'gp3', volumeSize, deleteOnTermination: 'true' },
  });
  ctx.add('launch-template-system', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:LaunchTemplate', {
    region,
    description: `System nodes of ${ctx.clusterName}`,
    metadataOptions: IMDS_V2_ONLY,
    // Bottlerocket: xvda holds the OS, xvdb the container data.
    blockDeviceMappings: [encryptedVolume('/dev/xvda', 4), encryptedVolume('/dev/xvdb', 50)],
    tagSpecifications: [
      { resourceType: 'instance', tags: ctx.tags(COMPONENT, { Name: ctx.name('node-system') }) },
      { resourceType: 'volume', tags: ctx.tags(COMPONENT) },
    ],
    updateDefaultVersion: true,
    tags: ctx.tags(COMPONENT),
  });

  // The node group names its launch template by id and version, which exist only once it is created.
  const templateId = ctx.observedString('launch-template-system', 'id');
  const templateVersion = (ctx.atProvider('launch-template-system') ?? {}).latestVersion;
  const canCreate = ctx.isReady('cluster') && templateId !== undefined && typeof templateVersion === 'number';
  ctx.add(
    'node-group-system',
    COMPONENT,
    'eks.aws.m.upbound.io/v1beta1:NodeGroup',
    canCreate
      ? {
          region,
          clusterNameRef: { name: ctx.name('cluster') },
          nodeRoleArnRef: { name: ctx.name('role-node-system') },
          subnetIdRefs: subnetRefs(ctx, 'private'),
          amiType: 'BOTTLEROCKET_x86_64',
          // Nodes follow the control plane: an upgrade reaches them once the cluster runs the new minor.
          version: runningVersion(ctx),
          capacityType: 'ON_DEMAND',
          instanceTypes: [...system.instanceTypes],
          scalingConfig: { minSize: system.minSize, maxSize: system.maxSize, desiredSize: system.desiredSize },
          launchTemplate: { id: templateId, version: String(templateVersion) },
          labels: { 'platform.projectcatalyst.io/node-group': 'system' },
          taint: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NO_SCHEDULE' }],
          updateConfig: { maxUnavailable: 1 },
          tags: ctx.tags(COMPONENT),
        }
      : ctx.waiting(ready('cluster'), field('launch-template-system', 'id'), field('launch-template-system', 'latestVersion')),
  );
}
