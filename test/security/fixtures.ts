/**
 * Deliberately good and bad manifests for each security check. Every one of
 * them validates against the real upstream schema (tested), so the checks are
 * proven to read fields that exist.
 */

type JsonObject = Record<string, unknown>;

const NAMESPACE = 'env-dev';
const ACCOUNT = '111111111111';
const ISSUER = 'oidc.eks.eu-central-1.amazonaws.com/id/ABCDEF0123456789';

/** A namespaced v2 AWS managed resource as a composer would emit it. */
export function aws(group: string, kind: string, name: string, forProvider: JsonObject, version = 'v1beta1'): JsonObject {
  return {
    apiVersion: `${group}.aws.m.upbound.io/${version}`,
    kind,
    metadata: { name, namespace: NAMESPACE, annotations: { 'crossplane.io/composition-resource-name': name } },
    spec: { forProvider },
  };
}

const json = (value: unknown) => JSON.stringify(value);

export function policy(name: string, statements: JsonObject[]): JsonObject {
  return aws('iam', 'Policy', name, { policy: json({ Version: '2012-10-17', Statement: statements }) });
}

export function role(name: string, trust: JsonObject[], inline: JsonObject[] = []): JsonObject {
  return aws('iam', 'Role', name, {
    assumeRolePolicy: json({ Version: '2012-10-17', Statement: trust }),
    ...(inline.length > 0 ? { inlinePolicy: [{ name: 'inline', policy: json({ Version: '2012-10-17', Statement: inline }) }] } : {}),
  });
}

/** An IRSA trust statement; `audience: null` leaves the audience condition out. */
export const irsaTrust = (subject: unknown, operator = 'StringEquals', audience: unknown = 'sts.amazonaws.com'): JsonObject => ({
  Effect: 'Allow',
  Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}` },
  Action: 'sts:AssumeRoleWithWebIdentity',
  Condition: { [operator]: { [`${ISSUER}:sub`]: subject, ...(audience !== null ? { [`${ISSUER}:aud`]: audience } : {}) } },
});

export function bucket(name: string): JsonObject {
  return aws('s3', 'Bucket', name, { region: 'eu-central-1' });
}

export function bucketEncryption(name: string, bucketName: string, sseAlgorithm = 'aws:kms'): JsonObject {
  return aws('s3', 'BucketServerSideEncryptionConfiguration', name, {
    region: 'eu-central-1',
    bucketRef: { name: bucketName },
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm } }],
  });
}

export function publicAccessBlock(name: string, bucketName: string, blocks: Partial<Record<'blockPublicAcls' | 'blockPublicPolicy' | 'ignorePublicAcls' | 'restrictPublicBuckets', boolean>> = {}): JsonObject {
  return aws('s3', 'BucketPublicAccessBlock', name, {
    region: 'eu-central-1',
    bucketRef: { name: bucketName },
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
    ...blocks,
  });
}

export function database(name: string, extra: JsonObject = {}): JsonObject {
  return aws('rds', 'Instance', name, {
    region: 'eu-central-1',
    engine: 'postgres',
    instanceClass: 'db.t4g.small',
    allocatedStorage: 20,
    storageEncrypted: true,
    publiclyAccessible: false,
    manageMasterUserPassword: true,
    username: 'forge_root',
    ...extra,
  });
}

export function storageClass(name: string, parameters: Record<string, string>, provisioner = 'ebs.csi.aws.com'): JsonObject {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner, parameters };
}

/** A provider-kubernetes Object wrapping a manifest (how an Environment installs objects into its cluster). */
export function object(name: string, manifest: JsonObject): JsonObject {
  return {
    apiVersion: 'kubernetes.m.crossplane.io/v1alpha1',
    kind: 'Object',
    metadata: { name, namespace: NAMESPACE, annotations: { 'crossplane.io/composition-resource-name': name } },
    spec: { forProvider: { manifest } },
  };
}

export function ingressRule(name: string, cidrIpv4: string, fromPort: number, toPort = fromPort, ipProtocol = 'tcp'): JsonObject {
  return aws('ec2', 'SecurityGroupIngressRule', name, { region: 'eu-central-1', securityGroupIdRef: { name: 'cluster' }, cidrIpv4, fromPort, toPort, ipProtocol });
}

export function launchTemplate(name: string, extra: JsonObject): JsonObject {
  return aws('ec2', 'LaunchTemplate', name, { region: 'eu-central-1', ...extra });
}

export function nodeClass(name: string, spec: JsonObject): JsonObject {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name },
    spec: {
      role: 'karpenter-node',
      amiSelectorTerms: [{ alias: 'bottlerocket@latest' }],
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'dev' } }],
      securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'dev' } }],
      ...spec,
    },
  };
}

export { ACCOUNT, ISSUER, NAMESPACE };
