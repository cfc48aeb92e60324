import { createHash } from 'node:crypto';
import { FatalError } from '../../errors.js';
import { awsManagedPolicy, policyJson, podIdentityTrust, serviceTrust } from '../../resources/aws/iam-policy.js';
import { field, ready } from '../../resources/aws/composition.js';
import type { EnvironmentContext } from './context.js';
import { subnetRefs } from './network.js';

const COMPONENT = 'cluster';

/** The EKS add-ons every cluster gets, in install order. */
export const EKS_ADDONS = ['vpc-cni', 'kube-proxy', 'eks-pod-identity-agent', 'coredns', 'aws-ebs-csi-driver', 'snapshot-controller'] as const;

/** Add-ons whose pods need schedulable nodes before they can become healthy. */
const NEEDS_NODES = new Set<string>(['coredns', 'aws-ebs-csi-driver', 'snapshot-controller']);

/** The EBS CSI controller's service account, which its Pod Identity role is bound to. */
export const EBS_CSI_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'ebs-csi-controller-sa' };

/** Stable key suffix for a principal, so reordering a list never recreates its access entry. */
export function principalKey(arn: string): string {
  return createHash('sha256').update(arn).digest('hex').slice(0, 10);
}

/** The Kubernetes minor the Environment asks for. */
export function desiredVersion(ctx: EnvironmentContext): string {
  return ctx.spec.kubernetes?.version ?? ctx.config.kubernetes.version;
}

/**
 * The minor the control plane runs now: observed when the cluster exists,
 * else the desired one (a new cluster starts there). Nodes and add-ons follow
 * this, so an upgrade changes the control plane first and the rest after it.
 */
export function runningVersion(ctx: EnvironmentContext): string {
  return ctx.observedString('cluster', 'version') ?? desiredVersion(ctx);
}

function minor(version: string): number {
  return Number(version.split('.')[1]);
}

/**
 * The version to ask of the control plane: the desired one, but never more
 * than one minor above what runs (EKS upgrades one minor at a time; each
 * observed step lets the next one through) and never below it.
 */
export function controlPlaneVersion(ctx: EnvironmentContext): string {
  const desired = desiredVersion(ctx);
  const running = ctx.observedString('cluster', 'version');
  if (running === undefined) return desired;
  if (minor(desired) < minor(running)) {
    throw new FatalError(`spec.kubernetes.version: cannot downgrade the cluster from ${running} to ${desired}`);
  }
  return minor(desired) > minor(running) + 1 ? `1.${minor(running) + 1}` : desired;
}

/**
 * How the API server is reached. Nodes always use the private endpoint. A
 * spoke of the Hub is reached privately by the platform cluster over the
 * Transit Gateway, so its public endpoint stays off unless asked for. A
 * standalone environment has no private path from the platform cluster: its
 * public endpoint is on, open only to the platform cluster's egress addresses
 * (data.aws.platform.egressCidrs).
 */
export function endpointAccess(ctx: EnvironmentContext): { endpointPrivateAccess: true; endpointPublicAccess: boolean; publicAccessCidrs?: string[] } {
  if (ctx.spec.network?.hubRef === undefined) return { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: [...ctx.aws.platform.egressCidrs] };
  return { endpointPrivateAccess: true, endpointPublicAccess: ctx.spec.kubernetes?.publicEndpoint ?? false };
}

/** ARN of this environment's EKS cluster. */
export function clusterArn(ctx: EnvironmentContext): string {
  return ctx.arn('eks', `cluster/${ctx.clusterName}`);
}

/**
 * The EKS cluster: a KMS key (and alias) for envelope encryption of secrets,
 * the cluster role, a private endpoint unless publicEndpoint, API-only
 * authentication (access entries: access.ts), the OIDC provider for IRSA,
 * and the EKS add-ons.
 */
export function buildCluster(ctx: EnvironmentContext): void {
  const { region } = ctx;
  const version = controlPlaneVersion(ctx);

  ctx.add(
    'kms-key',
    COMPONENT,
    'kms.aws.m.upbound.io/v1beta1:Key',
    {
      region,
      description: `Catalyst Forge ${ctx.environment}: EKS secrets, RDS, S3 and Secrets Manager`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: ctx.tags(COMPONENT),
    },
    { stateful: true },
  );
  ctx.add(
    'kms-alias',
    COMPONENT,
    'kms.aws.m.upbound.io/v1beta1:Alias',
    { region, targetKeyIdRef: { name: ctx.name('kms-key') } },
    { externalName: `alias/catalyst-forge/${ctx.environment}` },
  );

  ctx.add('role-cluster', COMPONENT, 'iam.aws.m.upbound.io/v1beta1:Role', {
    assumeRolePolicy: policyJson(serviceTrust('eks.amazonaws.com', { StringEquals: { 'aws:SourceAccount': ctx.accountId } })),
    managedPolicyArns: [awsManagedPolicy('AmazonEKSClusterPolicy')],
    tags: ctx.tags(COMPONENT),
  });

  // EKS writes control plane logs to this group and creates it without a retention if it is missing. Named by
  // external name, a group EKS already made (an older environment, or EKS first) is adopted, not duplicated.
  ctx.add(
    'log-group-cluster',
    COMPONENT,
    'cloudwatchlogs.aws.m.upbound.io/v1beta1:Group',
    { region, retentionInDays: ctx.config.kubernetes.controlPlaneLogRetentionDays, tags: ctx.tags(COMPONENT) },
    { externalName: `/aws/eks/${ctx.clusterName}/cluster` },
  );

  // Envelope encryption is set at creation: wait for the key's ARN rather than create the cluster without it.
  const keyArn = ctx.observedString('kms-key', 'arn');
  ctx.add(
    'cluster',
    COMPONENT,
    'eks.aws.m.upbound.io/v1beta1:Cluster',
    keyArn !== undefined
      ? {
      region,
      version,
      // Never slip into extended support (billed per cluster hour) unnoticed: at the end of standard support EKS upgrades instead.
      upgradePolicy: { supportType: ctx.config.kubernetes.supportType },
      roleArnRef: { name: ctx.name('role-cluster') },
      vpcConfig: { subnetIdRefs: subnetRefs(ctx, 'private'), ...endpointAccess(ctx) },
      encryptionConfig: { provider: { keyArn }, resources: ['secrets'] },
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
      enabledClusterLogTypes: ['api', 'audit', 'authenticator'],
      tags: ctx.tags(COMPONENT),
    } : ctx.waiting(field('kms-key', 'arn')),
  );
  const clusterRef = { name: ctx.name('cluster') };
  const clusterReady = ctx.isReady('cluster');

  // Through the Hub the platform cluster reaches the private endpoint from its VPC; EKS's cluster
  // security group admits only its own members, so the platform VPC needs its rule.
  const clusterSecurityGroup = ctx.observedString('cluster', 'vpcConfig', 'clusterSecurityGroupId');
  if (ctx.spec.network?.hubRef !== undefined && ctx.aws.platform.vpcCidr !== ctx.aws.cidr) {
    ctx.add(
      'security-group-rule-cluster-from-platform',
      COMPONENT,
      'ec2.aws.m.upbound.io/v1beta1:SecurityGroupIngressRule',
      clusterSecurityGroup !== undefined
        ? {
            region,
            securityGroupId: clusterSecurityGroup,
            cidrIpv4: ctx.aws.platform.vpcCidr,
            ipProtocol: 'tcp',
            fromPort: 443,
            toPort: 443,
            description: 'Kubernetes API from the platform cluster (Crossplane), through the Hub',
            tags: ctx.tags(COMPONENT),
          }
        : ctx.waiting(field('cluster', 'vpcConfig', 'clusterSecurityGroupId')),
    );
  }

  const issuer = ctx.observedString('cluster', 'identity', 'oidc', 'issuer');
  ctx.add('oidc-provider', COMPONENT, 'iam.aws.m.upbound.io/v1beta1:OpenIDConnectProvider', issuer !== undefined ? { url: issuer, clientIdList: ['sts.amazonaws.com'], tags: ctx.tags(COMPONENT) } : ctx.waiting(field('cluster', 'identity', 'oidc', 'issuer')));

  // Access entries for people (operators, teams, break-glass, adminPrincipalArns): access.ts.

  ctx.add('role-ebs-csi', COMPONENT, 'iam.aws.m.upbound.io/v1beta1:Role', {
    assumeRolePolicy: policyJson(podIdentityTrust(clusterArn(ctx), ctx.accountId, EBS_CSI_SERVICE_ACCOUNT)),
    // AWS's managed policy for the driver scopes writes by the ebs.csi.aws.com tags it sets. No KMS
    // grant: StorageClasses encrypt with the AWS-managed EBS key.
    managedPolicyArns: [awsManagedPolicy('service-role/AmazonEBSCSIDriverPolicy')],
    tags: ctx.tags(COMPONENT),
  });
  const ebsRoleArn = ctx.observedString('role-ebs-csi', 'arn');
  // Add-ons move to a minor's versions only once the control plane runs that minor.
  const addonVersions = ctx.config.kubernetes.addonVersions[runningVersion(ctx)] ?? {};
  const nodesReady = ctx.isReady('node-group-system');

  for (const addon of EKS_ADDONS) {
    // With Cilium (ENI mode, WireGuard) Cilium owns pod networking; the VPC CNI must not run beside it.
    if (addon === 'vpc-cni' && ctx.config.features.cilium) continue;
    const canInstall = clusterReady && (!NEEDS_NODES.has(addon) || nodesReady) && (addon !== 'aws-ebs-csi-driver' || ebsRoleArn !== undefined);
    ctx.add(
      `addon-${addon}`,
      COMPONENT,
      'eks.aws.m.upbound.io/v1beta1:Addon',
      canInstall
        ? {
            region,
            clusterNameRef: clusterRef,
            addonName: addon,
            ...(addonVersions[addon] !== undefined ? { addonVersion: addonVersions[addon] } : {}),
            resolveConflictsOnCreate: 'OVERWRITE',
            resolveConflictsOnUpdate: 'OVERWRITE',
            ...(addon === 'aws-ebs-csi-driver' && ebsRoleArn !== undefined ? { podIdentityAssociation: [{ roleArn: ebsRoleArn, serviceAccount: EBS_CSI_SERVICE_ACCOUNT.name }] } : {}),
            tags: ctx.tags(COMPONENT),
          }
        : ctx.waiting(ready('cluster'), ...(NEEDS_NODES.has(addon) ? [ready('node-group-system')] : []), ...(addon === 'aws-ebs-csi-driver' ? [field('role-ebs-csi', 'arn')] : [])),
    );
  }
}
