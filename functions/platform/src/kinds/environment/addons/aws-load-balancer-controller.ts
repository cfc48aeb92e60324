import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import type { EnvironmentContext } from '../context.js';
import { onAws, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

const CHART = 'aws-load-balancer-controller';

/** The controller's service account: its role trusts exactly this one. */
export const LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'aws-load-balancer-controller' };

/** Tag the controller puts on every load balancer, target group and security group it creates, valued with the cluster name. */
const CLUSTER_TAG = 'elbv2.k8s.aws/cluster';

/**
 * The controller policy, shaped like the project's reference policy
 * (docs/install/iam_policy.json) but narrower: every write is limited to this
 * region and account, and to resources tagged `elbv2.k8s.aws/cluster` with
 * this cluster's name (the reference only asks that the tag exist, so one
 * cluster could change another's load balancers). Security-group rules may
 * be changed only in this environment's VPC. WAF, Shield and Cognito are not
 * granted: the controller runs with them switched off. Describe calls have no
 * resource-level permissions in AWS and take `*` (test/security/exceptions.ts).
 */
export function loadBalancerControllerPolicy(ctx: EnvironmentContext, vpcId: string): PolicyStatement[] {
  const cluster = ctx.clusterName;
  const ec2 = (resource: string) => ctx.arn('ec2', resource);
  const elb = (resource: string) => ctx.arn('elasticloadbalancing', resource);
  const vpcArn = ec2(`vpc/${vpcId}`);
  const loadBalancers = [elb('loadbalancer/net/*/*'), elb('loadbalancer/app/*/*')];
  const targetGroups = elb('targetgroup/*/*');
  const listeners = [elb('listener/net/*/*/*'), elb('listener/app/*/*/*')];
  const listenerRules = [elb('listener-rule/net/*/*/*'), elb('listener-rule/app/*/*/*')];
  const ownedByThisCluster = { StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG}`]: cluster } };
  return [
    {
      Sid: 'CreateServiceLinkedRole',
      Effect: 'Allow',
      Action: 'iam:CreateServiceLinkedRole',
      Resource: ctx.arn('iam', 'role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing', { global: true }),
      Condition: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
    },
    {
      Sid: 'Describe',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeAccountAttributes',
        'ec2:DescribeAddresses',
        'ec2:DescribeAvailabilityZones',
        'ec2:DescribeCoipPools',
        'ec2:DescribeInstances',
        'ec2:DescribeInternetGateways',
        'ec2:DescribeIpamPools',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeRouteTables',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeTags',
        'ec2:DescribeVpcPeeringConnections',
        'ec2:DescribeVpcs',
        'elasticloadbalancing:DescribeCapacityReservation',
        'elasticloadbalancing:DescribeListenerAttributes',
        'elasticloadbalancing:DescribeListenerCertificates',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeSSLPolicies',
        'elasticloadbalancing:DescribeTags',
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeTrustStores',
      ],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': ctx.region } },
    },
    { Sid: 'SecurityGroupsOfThisVpc', Effect: 'Allow', Action: 'ec2:GetSecurityGroupsForVpc', Resource: vpcArn },
    {
      // TLS listeners of Ingresses (ALB) discover their certificates in ACM or IAM.
      Sid: 'CertificateDiscovery',
      Effect: 'Allow',
      Action: ['acm:ListCertificates', 'iam:ListServerCertificates'],
      Resource: '*',
    },
    { Sid: 'ReadAcmCertificates', Effect: 'Allow', Action: 'acm:DescribeCertificate', Resource: ctx.arn('acm', 'certificate/*') },
    { Sid: 'ReadIamServerCertificates', Effect: 'Allow', Action: 'iam:GetServerCertificate', Resource: ctx.arn('iam', 'server-certificate/*', { global: true }) },
    {
      // Node and pod security groups admit traffic from the load balancers; only in this VPC.
      Sid: 'BackendSecurityGroupRules',
      Effect: 'Allow',
      Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
      Resource: ec2('security-group/*'),
      Condition: { StringEquals: { 'ec2:Vpc': vpcArn } },
    },
    {
      Sid: 'CreateTaggedSecurityGroups',
      Effect: 'Allow',
      Action: 'ec2:CreateSecurityGroup',
      Resource: ec2('security-group/*'),
      Condition: { StringEquals: { [`aws:RequestTag/${CLUSTER_TAG}`]: cluster } },
    },
    { Sid: 'CreateSecurityGroupsInThisVpc', Effect: 'Allow', Action: 'ec2:CreateSecurityGroup', Resource: vpcArn },
    {
      Sid: 'TagSecurityGroupsOnCreate',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ec2('security-group/*'),
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup', [`aws:RequestTag/${CLUSTER_TAG}`]: cluster } },
    },
    {
      // Retagging never touches the cluster tag itself (Null RequestTag), so ownership cannot move.
      Sid: 'RetagOwnSecurityGroups',
      Effect: 'Allow',
      Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
      Resource: ec2('security-group/*'),
      Condition: { ...ownedByThisCluster, Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'true' } },
    },
    {
      Sid: 'ManageOwnSecurityGroups',
      Effect: 'Allow',
      Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'],
      Resource: ec2('security-group/*'),
      Condition: ownedByThisCluster,
    },
    {
      Sid: 'CreateTaggedLoadBalancers',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'],
      Resource: [...loadBalancers, targetGroups],
      Condition: { StringEquals: { [`aws:RequestTag/${CLUSTER_TAG}`]: cluster } },
    },
    {
      Sid: 'TagLoadBalancersOnCreate',
      Effect: 'Allow',
      Action: 'elasticloadbalancing:AddTags',
      Resource: [...loadBalancers, targetGroups],
      Condition: {
        StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'], [`aws:RequestTag/${CLUSTER_TAG}`]: cluster },
      },
    },
    {
      Sid: 'RetagOwnLoadBalancers',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
      Resource: [...loadBalancers, targetGroups],
      Condition: { ...ownedByThisCluster, Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'true' } },
    },
    {
      Sid: 'ManageOwnLoadBalancers',
      Effect: 'Allow',
      Action: [
        'elasticloadbalancing:DeleteLoadBalancer',
        'elasticloadbalancing:DeleteTargetGroup',
        'elasticloadbalancing:DeregisterTargets',
        'elasticloadbalancing:ModifyCapacityReservation',
        'elasticloadbalancing:ModifyIpPools',
        'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes',
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:SetIpAddressType',
        'elasticloadbalancing:SetSecurityGroups',
        'elasticloadbalancing:SetSubnets',
      ],
      Resource: [...loadBalancers, targetGroups],
      Condition: ownedByThisCluster,
    },
    {
      Sid: 'ListenersOfOwnLoadBalancers',
      Effect: 'Allow',
      Action: 'elasticloadbalancing:CreateListener',
      Resource: loadBalancers,
      Condition: ownedByThisCluster,
    },
    {
      // Listeners and rules are children of this account's load balancers; the reference grants them on `*`.
      Sid: 'ManageListenersAndRules',
      Effect: 'Allow',
      Action: [
        'elasticloadbalancing:AddListenerCertificates',
        'elasticloadbalancing:AddTags',
        'elasticloadbalancing:CreateRule',
        'elasticloadbalancing:DeleteListener',
        'elasticloadbalancing:ModifyListener',
        'elasticloadbalancing:ModifyListenerAttributes',
        'elasticloadbalancing:RemoveListenerCertificates',
        'elasticloadbalancing:RemoveTags',
      ],
      Resource: listeners,
    },
    {
      Sid: 'ManageListenerRules',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteRule', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:RemoveTags', 'elasticloadbalancing:SetRulePriorities'],
      Resource: listenerRules,
    },
  ];
}

/**
 * AWS Load Balancer Controller: NLBs for the Envoy Gateway Services (and
 * ALBs/NLBs for any Ingress or LoadBalancer Service), in this VPC only. It
 * waits for the VPC so the chart never falls back to the instance metadata
 * service to find it.
 */
export const awsLoadBalancerController: AddonDefinition = {
  name: 'aws-load-balancer-controller',
  chart: { repository: 'https://aws.github.io/eks-charts', chart: 'aws-load-balancer-controller', version: '3.5.0' },
  enabled: onAws,
  waitFor: ['vpc'],
  identity: {
    serviceAccount: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
    statements(ctx) {
      const vpcId = ctx.observedString('vpc', 'id');
      return vpcId === undefined ? [] : loadBalancerControllerPolicy(ctx, vpcId);
    },
  },
  release(ctx) {
    const vpcId = ctx.observedString('vpc', 'id');
    return {
      chart: CHART,
      namespace: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT.namespace,
      values: {
        clusterName: ctx.clusterName,
        region: ctx.region,
        ...(vpcId !== undefined ? { vpcId } : {}),
        replicaCount: replicasOf(ctx, CHART),
        serviceAccount: { create: true, name: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT.name },
        // Not granted by the policy; switched off so the controller never tries.
        enableShield: false,
        enableWaf: false,
        enableWafv2: false,
        defaultTags: { environment: ctx.environment },
        tolerations: [CRITICAL_ADDONS_TOLERATION],
        nodeSelector: SYSTEM_NODE_SELECTOR,
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        ...(highlyAvailable(ctx, CHART) ? { podDisruptionBudget: { maxUnavailable: 1 } } : {}),
      },
    };
  },
};
