import type * as Models from './models.generated.js';

/** Crossplane management policies; omitting Delete orphans the external resource on deletion. */
export type ManagementPolicy = 'Observe' | 'Create' | 'Update' | 'Delete' | 'LateInitialize' | '*';

/** Everything but Delete: the resource in AWS survives deletion of the managed resource. */
export const ORPHAN_ON_DELETE: readonly ManagementPolicy[] = ['Observe', 'Create', 'Update', 'LateInitialize'];

/** Which ProviderConfig a managed resource uses. */
export interface ProviderConfigReference {
  kind: 'ProviderConfig' | 'ClusterProviderConfig';
  name: string;
}

/** The ProviderConfig a spec names, or the namespace's `default` one. */
export function providerConfigReference(ref: { name: string; kind: ProviderConfigReference['kind'] } | undefined): ProviderConfigReference {
  return { kind: ref?.kind ?? 'ProviderConfig', name: ref?.name ?? 'default' };
}

/**
 * The namespaced (Crossplane v2) provider-upjet-aws kinds this package composes,
 * each with the forProvider type generated from its CRD.
 */
export interface AwsKinds {
  'amp.aws.m.upbound.io/v1beta1:Workspace': Models.AmpWorkspaceForProvider;
  'cloudwatchevents.aws.m.upbound.io/v1beta1:Rule': Models.CloudwatcheventsRuleForProvider;
  'cloudwatchevents.aws.m.upbound.io/v1beta1:Target': Models.CloudwatcheventsTargetForProvider;
  'cloudwatchlogs.aws.m.upbound.io/v1beta1:Group': Models.CloudwatchlogsGroupForProvider;
  'ec2.aws.m.upbound.io/v1beta1:EIP': Models.Ec2EIPForProvider;
  'ec2.aws.m.upbound.io/v1beta1:FlowLog': Models.Ec2FlowLogForProvider;
  'ec2.aws.m.upbound.io/v1beta1:InternetGateway': Models.Ec2InternetGatewayForProvider;
  'ec2.aws.m.upbound.io/v1beta1:LaunchTemplate': Models.Ec2LaunchTemplateForProvider;
  'ec2.aws.m.upbound.io/v1beta1:NATGateway': Models.Ec2NATGatewayForProvider;
  'ec2.aws.m.upbound.io/v1beta1:Route': Models.Ec2RouteForProvider;
  'ec2.aws.m.upbound.io/v1beta1:RouteTable': Models.Ec2RouteTableForProvider;
  'ec2.aws.m.upbound.io/v1beta1:RouteTableAssociation': Models.Ec2RouteTableAssociationForProvider;
  'ec2.aws.m.upbound.io/v1beta1:SecurityGroup': Models.Ec2SecurityGroupForProvider;
  'ec2.aws.m.upbound.io/v1beta1:SecurityGroupEgressRule': Models.Ec2SecurityGroupEgressRuleForProvider;
  'ec2.aws.m.upbound.io/v1beta1:SecurityGroupIngressRule': Models.Ec2SecurityGroupIngressRuleForProvider;
  'ec2.aws.m.upbound.io/v1beta1:Subnet': Models.Ec2SubnetForProvider;
  'ec2.aws.m.upbound.io/v1beta1:TransitGateway': Models.Ec2TransitGatewayForProvider;
  'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRoute': Models.Ec2TransitGatewayRouteForProvider;
  'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRouteTable': Models.Ec2TransitGatewayRouteTableForProvider;
  'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRouteTableAssociation': Models.Ec2TransitGatewayRouteTableAssociationForProvider;
  'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRouteTablePropagation': Models.Ec2TransitGatewayRouteTablePropagationForProvider;
  'ec2.aws.m.upbound.io/v1beta1:TransitGatewayVPCAttachment': Models.Ec2TransitGatewayVPCAttachmentForProvider;
  'ec2.aws.m.upbound.io/v1beta1:TransitGatewayVPCAttachmentAccepter': Models.Ec2TransitGatewayVPCAttachmentAccepterForProvider;
  'ec2.aws.m.upbound.io/v1beta1:VPC': Models.Ec2VPCForProvider;
  'ec2.aws.m.upbound.io/v1beta1:VPCEndpoint': Models.Ec2VPCEndpointForProvider;
  'ec2.aws.m.upbound.io/v1beta1:VPCEndpointRouteTableAssociation': Models.Ec2VPCEndpointRouteTableAssociationForProvider;
  'ec2.aws.m.upbound.io/v1beta1:VPCEndpointSecurityGroupAssociation': Models.Ec2VPCEndpointSecurityGroupAssociationForProvider;
  'ec2.aws.m.upbound.io/v1beta1:VPCEndpointSubnetAssociation': Models.Ec2VPCEndpointSubnetAssociationForProvider;
  'eks.aws.m.upbound.io/v1beta1:AccessEntry': Models.EksAccessEntryForProvider;
  'eks.aws.m.upbound.io/v1beta1:AccessPolicyAssociation': Models.EksAccessPolicyAssociationForProvider;
  'eks.aws.m.upbound.io/v1beta1:Addon': Models.EksAddonForProvider;
  'eks.aws.m.upbound.io/v1beta1:Cluster': Models.EksClusterForProvider;
  'eks.aws.m.upbound.io/v1beta1:ClusterAuth': Models.EksClusterAuthForProvider;
  'eks.aws.m.upbound.io/v1beta1:NodeGroup': Models.EksNodeGroupForProvider;
  'eks.aws.m.upbound.io/v1beta1:PodIdentityAssociation': Models.EksPodIdentityAssociationForProvider;
  'iam.aws.m.upbound.io/v1beta1:InstanceProfile': Models.IamInstanceProfileForProvider;
  'iam.aws.m.upbound.io/v1beta1:OpenIDConnectProvider': Models.IamOpenIDConnectProviderForProvider;
  'iam.aws.m.upbound.io/v1beta1:Policy': Models.IamPolicyForProvider;
  'iam.aws.m.upbound.io/v1beta1:Role': Models.IamRoleForProvider;
  'iam.aws.m.upbound.io/v1beta1:RolePolicyAttachment': Models.IamRolePolicyAttachmentForProvider;
  'kms.aws.m.upbound.io/v1beta1:Alias': Models.KmsAliasForProvider;
  'kms.aws.m.upbound.io/v1beta1:Key': Models.KmsKeyForProvider;
  'rds.aws.m.upbound.io/v1beta1:Instance': Models.RdsInstanceForProvider;
  'rds.aws.m.upbound.io/v1beta1:ParameterGroup': Models.RdsParameterGroupForProvider;
  'rds.aws.m.upbound.io/v1beta1:SubnetGroup': Models.RdsSubnetGroupForProvider;
  'ram.aws.m.upbound.io/v1beta1:PrincipalAssociation': Models.RamPrincipalAssociationForProvider;
  'ram.aws.m.upbound.io/v1beta1:ResourceAssociation': Models.RamResourceAssociationForProvider;
  'ram.aws.m.upbound.io/v1beta1:ResourceShare': Models.RamResourceShareForProvider;
  'route53.aws.m.upbound.io/v1beta1:Record': Models.Route53RecordForProvider;
  'route53.aws.m.upbound.io/v1beta1:Zone': Models.Route53ZoneForProvider;
  's3.aws.m.upbound.io/v1beta1:Bucket': Models.S3BucketForProvider;
  's3.aws.m.upbound.io/v1beta1:BucketLifecycleConfiguration': Models.S3BucketLifecycleConfigurationForProvider;
  's3.aws.m.upbound.io/v1beta1:BucketPolicy': Models.S3BucketPolicyForProvider;
  's3.aws.m.upbound.io/v1beta1:BucketPublicAccessBlock': Models.S3BucketPublicAccessBlockForProvider;
  's3.aws.m.upbound.io/v1beta1:BucketServerSideEncryptionConfiguration': Models.S3BucketServerSideEncryptionConfigurationForProvider;
  's3.aws.m.upbound.io/v1beta1:BucketVersioning': Models.S3BucketVersioningForProvider;
  'secretsmanager.aws.m.upbound.io/v1beta1:Secret': Models.SecretsmanagerSecretForProvider;
  'secretsmanager.aws.m.upbound.io/v1beta1:SecretVersion': Models.SecretsmanagerSecretVersionForProvider;
  'sqs.aws.m.upbound.io/v1beta1:Queue': Models.SqsQueueForProvider;
}

/** `apiVersion:Kind` of a composed AWS kind. */
export type AwsKind = keyof AwsKinds;

/** Props of {@link managedResource}. */
export interface ManagedResourceProps<K extends AwsKind> {
  kind: K;
  /** metadata.name; also the AWS name unless `externalName` is set. */
  name: string;
  labels: Record<string, string>;
  forProvider: AwsKinds[K];
  providerConfigRef: ProviderConfigReference;
  /** The AWS identifier when it differs from metadata.name (crossplane.io/external-name). */
  externalName?: string;
  /** Default: all policies. Stateful resources in protected environments omit Delete. */
  managementPolicies?: readonly ManagementPolicy[];
  /** Secret (in the same namespace) for the resource's connection details. */
  writeConnectionSecretToRef?: string;
}

/** A namespaced provider-upjet-aws managed resource with only the fields we hold an opinion on. */
export function managedResource<K extends AwsKind>(props: ManagedResourceProps<K>): Record<string, unknown> {
  const [apiVersion, kind] = props.kind.split(':') as [string, string];
  return {
    apiVersion,
    kind,
    metadata: {
      name: props.name,
      labels: props.labels,
      ...(props.externalName !== undefined ? { annotations: { 'crossplane.io/external-name': props.externalName } } : {}),
    },
    spec: {
      forProvider: props.forProvider,
      providerConfigRef: props.providerConfigRef,
      ...(props.managementPolicies !== undefined ? { managementPolicies: [...props.managementPolicies] } : {}),
      ...(props.writeConnectionSecretToRef !== undefined ? { writeConnectionSecretToRef: { name: props.writeConnectionSecretToRef } } : {}),
    },
  };
}
