import { ready } from '../../resources/aws/composition.js';
import { denyInsecureTransport, policy, policyJson, podIdentityTrust, type PolicyStatement } from '../../resources/aws/iam-policy.js';
import { clusterArn } from './cluster.js';
import type { EnvironmentContext } from './context.js';
import { nodeRole } from './nodes.js';

const COMPONENT = 'karpenter';

/** Karpenter's controller service account: its role trusts exactly this one. */
export const KARPENTER_SERVICE_ACCOUNT = { namespace: 'karpenter', name: 'karpenter' };

/** EventBridge rules whose events Karpenter handles, by key suffix. */
export const INTERRUPTION_EVENTS: Readonly<Record<string, { source: string; detailType: string }>> = {
  'spot-interruption': { source: 'aws.ec2', detailType: 'EC2 Spot Instance Interruption Warning' },
  rebalance: { source: 'aws.ec2', detailType: 'EC2 Instance Rebalance Recommendation' },
  'instance-state-change': { source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification' },
  'scheduled-change': { source: 'aws.health', detailType: 'AWS Health Event' },
  'capacity-reservation-interruption': { source: 'aws.ec2', detailType: 'EC2 Capacity Reservation Instance Interruption Warning' },
};

/**
 * The controller policy, the statements of Karpenter's reference CloudFormation
 * for the pinned version (v1.14.1, website/content/en/docs/getting-started/
 * getting-started-with-karpenter/cloudformation.yaml), scoped the same way:
 * launches only with this cluster's tags, deletion only of what it tagged,
 * PassRole only for its node role, and the interruption queue only.
 * Describe and pricing calls have no resource-level permissions in AWS, so
 * they take `*` (limited to this region where AWS supports it).
 */
export function karpenterControllerPolicy(ctx: EnvironmentContext, queueArn: string, nodeRoleArn: string): PolicyStatement[] {
  const cluster = ctx.clusterName;
  const clusterTag = `aws:ResourceTag/kubernetes.io/cluster/${cluster}`;
  const requestClusterTag = `aws:RequestTag/kubernetes.io/cluster/${cluster}`;
  const ec2 = (resource: string) => ctx.arn('ec2', resource);
  const instanceProfiles = ctx.arn('iam', 'instance-profile/*', { global: true });
  const ownedProfileTags = { [clusterTag]: 'owned', 'aws:ResourceTag/topology.kubernetes.io/region': ctx.region };
  const requestedProfileTags = { [requestClusterTag]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': cluster, 'aws:RequestTag/topology.kubernetes.io/region': ctx.region };
  return [
    {
      Sid: 'AllowScopedEC2InstanceAccessActions',
      Effect: 'Allow',
      Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
      Resource: [
        `arn:aws:ec2:${ctx.region}::image/*`,
        `arn:aws:ec2:${ctx.region}::snapshot/*`,
        ec2('security-group/*'),
        ec2('subnet/*'),
        ec2('capacity-reservation/*'),
        ec2('placement-group/*'),
      ],
    },
    {
      Sid: 'AllowScopedEC2LaunchTemplateAccessActions',
      Effect: 'Allow',
      Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
      Resource: ec2('launch-template/*'),
      Condition: { StringEquals: { [clusterTag]: 'owned' }, StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' } },
    },
    {
      Sid: 'AllowScopedEC2InstanceActionsWithTags',
      Effect: 'Allow',
      Action: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
      Resource: [ec2('fleet/*'), ec2('instance/*'), ec2('volume/*'), ec2('network-interface/*'), ec2('launch-template/*'), ec2('spot-instances-request/*')],
      Condition: {
        StringEquals: { [requestClusterTag]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': cluster },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    },
    {
      Sid: 'AllowScopedResourceCreationTagging',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: [ec2('fleet/*'), ec2('instance/*'), ec2('volume/*'), ec2('network-interface/*'), ec2('launch-template/*'), ec2('spot-instances-request/*')],
      Condition: {
        StringEquals: { [requestClusterTag]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': cluster, 'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'] },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    },
    {
      Sid: 'AllowScopedResourceTagging',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ec2('instance/*'),
      // Only Name, the NodeClaim and the EKS cluster name: a running node can never be moved to another cluster or NodePool.
      Condition: {
        StringEquals: { [clusterTag]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
        StringEqualsIfExists: { 'aws:RequestTag/eks:eks-cluster-name': cluster },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
      },
    },
    {
      Sid: 'AllowScopedDeletion',
      Effect: 'Allow',
      Action: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
      Resource: [ec2('instance/*'), ec2('launch-template/*')],
      Condition: { StringEquals: { [clusterTag]: 'owned' }, StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' } },
    },
    {
      Sid: 'AllowRegionalReadActions',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeCapacityReservations',
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribePlacementGroups',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSpotPriceHistory',
        'ec2:DescribeSubnets',
      ],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': ctx.region } },
    },
    { Sid: 'AllowSSMReadActions', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: `arn:aws:ssm:${ctx.region}::parameter/aws/service/*` },
    { Sid: 'AllowPricingReadActions', Effect: 'Allow', Action: 'pricing:GetProducts', Resource: '*' },
    {
      Sid: 'AllowInterruptionQueueActions',
      Effect: 'Allow',
      Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      Resource: queueArn,
    },
    {
      Sid: 'AllowPassingInstanceRole',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: nodeRoleArn,
      Condition: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com'] } },
    },
    {
      // At creation the profile has no tags yet: what it will carry is in the request (aws:RequestTag).
      Sid: 'AllowScopedInstanceProfileCreationActions',
      Effect: 'Allow',
      Action: 'iam:CreateInstanceProfile',
      Resource: instanceProfiles,
      Condition: { StringEquals: requestedProfileTags, StringLike: { 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' } },
    },
    {
      Sid: 'AllowScopedInstanceProfileTagActions',
      Effect: 'Allow',
      Action: 'iam:TagInstanceProfile',
      Resource: instanceProfiles,
      Condition: {
        StringEquals: { ...ownedProfileTags, ...requestedProfileTags },
        StringLike: { 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*', 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    },
    {
      Sid: 'AllowScopedInstanceProfileActions',
      Effect: 'Allow',
      Action: ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'],
      Resource: instanceProfiles,
      Condition: { StringEquals: ownedProfileTags, StringLike: { 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*' } },
    },
    // Deleting an EC2NodeClass lists the profiles it made; listing has no resource-level permissions.
    { Sid: 'AllowUnscopedInstanceProfileListAction', Effect: 'Allow', Action: 'iam:ListInstanceProfiles', Resource: '*' },
    { Sid: 'AllowInstanceProfileReadActions', Effect: 'Allow', Action: 'iam:GetInstanceProfile', Resource: instanceProfiles },
    {
      Sid: 'AllowZonalShiftStatusReadOnly',
      Effect: 'Allow',
      Action: 'arc-zonal-shift:GetManagedResource',
      Resource: '*',
      Condition: { StringEquals: { 'arc-zonal-shift:ResourceIdentifier': clusterArn(ctx) } },
    },
    { Sid: 'AllowAPIServerEndpointDiscovery', Effect: 'Allow', Action: 'eks:DescribeCluster', Resource: clusterArn(ctx) },
  ];
}

/**
 * What Karpenter needs in AWS: its controller role (Pod Identity, bound to its
 * service account), the node role with instance profile and access entry, and
 * the interruption queue fed by EventBridge. NodePools and EC2NodeClasses
 * are cluster objects, installed with the add-ons.
 */
export function buildKarpenter(ctx: EnvironmentContext): void {
  const { region } = ctx;
  // metadata.name is the queue's AWS name.
  const queueName = ctx.name('queue-interruptions');
  const queueArn = ctx.arn('sqs', queueName);
  const nodeRoleName = ctx.name('role-node-karpenter');

  nodeRole(ctx, 'role-node-karpenter', COMPONENT);
  ctx.add('instance-profile-node-karpenter', COMPONENT, 'iam.aws.m.upbound.io/v1beta1:InstanceProfile', {
    roleRef: { name: nodeRoleName },
    tags: ctx.tags(COMPONENT),
  });
  // With API authentication, nodes join only through an access entry for their role.
  ctx.add(
    'access-entry-node-karpenter',
    COMPONENT,
    'eks.aws.m.upbound.io/v1beta1:AccessEntry',
    ctx.isReady('cluster')
      ? { region, clusterNameRef: { name: ctx.name('cluster') }, principalArnFromRoleRef: { name: nodeRoleName }, type: 'EC2_LINUX', tags: ctx.tags(COMPONENT) }
      : ctx.waiting(ready('cluster')),
  );

  ctx.add(
    'queue-interruptions',
    COMPONENT,
    'sqs.aws.m.upbound.io/v1beta1:Queue',
    {
      region,
      messageRetentionSeconds: 300,
      sqsManagedSseEnabled: true,
      policy: policyJson(
        policy(
          {
            Sid: 'EventBridgeAndSQSSend',
            Effect: 'Allow',
            Principal: { Service: ['events.amazonaws.com', 'sqs.amazonaws.com'] },
            Action: 'sqs:SendMessage',
            Resource: queueArn,
            Condition: { StringEquals: { 'aws:SourceAccount': ctx.accountId } },
          },
          denyInsecureTransport('sqs:*', queueArn),
        ),
      ),
      tags: ctx.tags(COMPONENT),
    },
  );
  for (const [suffix, event] of Object.entries(INTERRUPTION_EVENTS)) {
    ctx.add(`rule-${suffix}`, COMPONENT, 'cloudwatchevents.aws.m.upbound.io/v1beta1:Rule', {
      region,
      description: `${event.detailType} for Karpenter of ${ctx.clusterName}`,
      eventPattern: JSON.stringify({ source: [event.source], 'detail-type': [event.detailType] }),
      tags: ctx.tags(COMPONENT),
    });
    ctx.add(`rule-target-${suffix}`, COMPONENT, 'cloudwatchevents.aws.m.upbound.io/v1beta1:Target', {
      region,
      ruleRef: { name: ctx.name(`rule-${suffix}`) },
      arn: queueArn,
      targetId: 'karpenter-interruption-queue',
    });
  }

  const nodeRoleArn = ctx.arn('iam', `role/${nodeRoleName}`, { global: true });
  ctx.add('role-karpenter-controller', COMPONENT, 'iam.aws.m.upbound.io/v1beta1:Role', {
    assumeRolePolicy: policyJson(podIdentityTrust(clusterArn(ctx), ctx.accountId, KARPENTER_SERVICE_ACCOUNT)),
    inlinePolicy: [{ name: 'karpenter-controller', policy: policyJson(policy(...karpenterControllerPolicy(ctx, queueArn, nodeRoleArn))) }],
    tags: ctx.tags(COMPONENT),
  });
  ctx.add(
    'pod-identity-karpenter',
    COMPONENT,
    'eks.aws.m.upbound.io/v1beta1:PodIdentityAssociation',
    ctx.isReady('cluster')
      ? {
          region,
          clusterNameRef: { name: ctx.name('cluster') },
          namespace: KARPENTER_SERVICE_ACCOUNT.namespace,
          serviceAccount: KARPENTER_SERVICE_ACCOUNT.name,
          roleArnRef: { name: ctx.name('role-karpenter-controller') },
          tags: ctx.tags(COMPONENT),
        }
      : ctx.waiting(ready('cluster')),
  );
}
