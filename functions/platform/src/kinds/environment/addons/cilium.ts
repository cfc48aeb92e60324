import type { EnvironmentContext } from '../context.js';
import { featureOn, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

const OPERATOR_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'cilium-operator' };

/**
 * Whether Cilium replaces Istio ambient as the dataplane (config
 * `features.cilium`). AWS only: it runs in ENI mode; an existing cluster
 * keeps the CNI it was built with.
 */
export function ciliumEnabled(ctx: EnvironmentContext): boolean {
  return ctx.provider === 'aws' && featureOn(ctx, 'cilium');
}

/**
 * Cilium as the CNI in ENI mode with WireGuard transparent encryption
 * between nodes: the alternative to Istio ambient's mTLS. Cilium cannot
 * encrypt when chained behind the VPC CNI, so it owns pod networking and
 * allocates VPC addresses itself; its operator therefore gets a role that
 * manages network interfaces, limited to this environment's VPC and region.
 * Hubble (flow visibility) is always on; its relay and UI follow
 * `features.hubbleUi`.
 */
export const cilium: AddonDefinition = {
  name: 'cilium',
  chart: { repository: 'https://helm.cilium.io/', chart: 'cilium', version: '1.20.0' },
  features: { cilium: { default: false, description: 'Cilium in ENI mode instead of the VPC CNI (AWS).' }, hubbleUi: { default: false, description: 'Hubble Relay and UI with Cilium.' } },
  enabled: ciliumEnabled,
  identity: {
    serviceAccount: OPERATOR_SERVICE_ACCOUNT,
    statements(ctx) {
      const vpcId = ctx.observedString('vpc', 'id');
      if (vpcId === undefined) return [];
      const inThisVpc = { ArnEquals: { 'ec2:Vpc': ctx.arn('ec2', `vpc/${vpcId}`) } };
      const ownedInstance = { StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${ctx.clusterName}`]: 'owned' } };
      return [
        {
          Sid: 'ReadNetworkState',
          Effect: 'Allow',
          Action: ['ec2:DescribeInstances', 'ec2:DescribeInstanceTypes', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeTags', 'ec2:DescribeVpcs', 'ec2:DescribeRouteTables'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestedRegion': ctx.region } },
        },
        {
          Sid: 'ManageInterfacesInThisVpc',
          Effect: 'Allow',
          Action: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:ModifyNetworkInterfaceAttribute', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses', 'ec2:AttachNetworkInterface', 'ec2:DetachNetworkInterface'],
          Resource: [ctx.arn('ec2', 'network-interface/*'), ctx.arn('ec2', 'subnet/*'), ctx.arn('ec2', 'security-group/*')],
          Condition: inThisVpc,
        },
        {
          Sid: 'AttachToThisClustersNodes',
          Effect: 'Allow',
          Action: ['ec2:AttachNetworkInterface', 'ec2:DetachNetworkInterface'],
          Resource: ctx.arn('ec2', 'instance/*'),
          Condition: ownedInstance,
        },
        {
          Sid: 'TagNewInterfaces',
          Effect: 'Allow',
          Action: 'ec2:CreateTags',
          Resource: ctx.arn('ec2', 'network-interface/*'),
          Condition: { StringEquals: { 'ec2:CreateAction': 'CreateNetworkInterface' } },
        },
      ];
    },
  },
  release(ctx) {
    const hubbleUi = featureOn(ctx, 'hubbleUi');
    const ha = highlyAvailable(ctx, 'cilium');
    const placement = { tolerations: [CRITICAL_ADDONS_TOLERATION], nodeSelector: SYSTEM_NODE_SELECTOR };
    return {
      chart: 'cilium',
      namespace: OPERATOR_SERVICE_ACCOUNT.namespace,
      values: {
        eni: { enabled: true, awsEnablePrefixDelegation: true },
        ipam: { mode: 'eni' },
        routingMode: 'native',
        ipv4NativeRoutingCIDR: ctx.aws.cidr,
        enableIPv4Masquerade: false,
        encryption: { enabled: true, type: 'wireguard', nodeEncryption: false },
        // The agent runs on every node, tainted or not.
        tolerations: [{ operator: 'Exists' }],
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
        operator: {
          replicas: replicasOf(ctx, 'cilium'),
          ...placement,
          podDisruptionBudget: { enabled: ha },
          resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
        },
        serviceAccounts: { operator: { create: true, name: OPERATOR_SERVICE_ACCOUNT.name } },
        hubble: {
          enabled: true,
          relay: { enabled: hubbleUi, ...(hubbleUi ? { replicas: replicasOf(ctx, 'cilium'), ...placement, podDisruptionBudget: { enabled: ha } } : {}) },
          ui: { enabled: hubbleUi, ...(hubbleUi ? { replicas: 1, ...placement } : {}) },
        },
      },
    };
  },
};
