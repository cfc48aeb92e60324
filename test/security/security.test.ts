import { pino } from 'pino';
import type { RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackServerOptions, startFunctionServer, type FunctionServer } from '../../functions/platform/src/server.js';
import { composeInProcess, desiredManifests, desiredXr } from '../../scripts/lib/in-process.js';
import { defaultValidator, validateManifests } from '../../scripts/lib/validation.js';
import { call, newClient } from '../helpers/grpc-client.js';
import { allExamples, requiredPool } from '../helpers/kind-cases.js';
import { responseBytes } from '../helpers/outcome.js';
import { SECURITY_CHECKS, securityFindings, type SecurityCheck } from './checks.js';
import {
  ACCOUNT,
  aws,
  bucket,
  bucketEncryption,
  database,
  ingressRule,
  irsaTrust,
  launchTemplate,
  nodeClass,
  object,
  policy,
  publicAccessBlock,
  role,
  storageClass,
} from './fixtures.js';

type JsonObject = Record<string, unknown>;

function check(name: string): SecurityCheck {
  const found = SECURITY_CHECKS.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no check ${name}`);
  return found;
}

/** Log lines of the function while it rendered the examples. */
const logLines: string[] = [];
let server: FunctionServer;

beforeAll(async () => {
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
  server = await startFunctionServer(loopbackServerOptions({ logger }));
});
afterAll(async () => server.shutdown());

/** Renders an example through the server above (so its log is captured): its request as Crossplane sends it, the response as it would be applied. */
async function renderExample(example: ReturnType<typeof allExamples>[number]): Promise<JsonObject[]> {
  const { request } = composeInProcess(example.input.xr, example.input.requiredResources);
  const client = newClient(`127.0.0.1:${server.port}`);
  try {
    const response = await call(client, request);
    return [desiredXr(example.input.xr, response), ...desiredManifests(example.input.xr, response)];
  } finally {
    client.close();
  }
}

describe('security checks over every rendered example', () => {
  for (const example of allExamples()) {
    it(`${example.file} passes every check`, async () => {
      const manifests = await renderExample(example);
      expect(manifests.length).toBeGreaterThan(1);
      expect(securityFindings(manifests)).toEqual([]);
    });
  }
});

describe('secrets never leave the function', () => {
  const CANARY = 'canary-Secret-Value-7f3a9c';

  /**
   * Crossplane hands the function connection details of observed resources
   * and credentials; none of it may come back in the response (which lands
   * in etcd as desired state) or reach the log.
   */
  for (const example of allExamples()) {
    it(`${example.file}: credentials and observed connection details reach neither the response nor the log`, async () => {
      const { request } = composeInProcess(example.input.xr, requiredPool());
      const secret = Buffer.from(CANARY);
      const composite = request.observed?.composite;
      const poisoned: RunFunctionRequest = {
        ...request,
        credentials: { 'aws-creds': { credentialData: { data: { password: secret, token: secret } } } },
        observed: {
          resources: Object.fromEntries(
            Object.entries(request.observed?.resources ?? {}).map(([name, r]) => [name, { ...r, connectionDetails: { password: secret, endpoint: secret } }]),
          ),
          composite: composite ? { ...composite, connectionDetails: { password: secret } } : undefined,
        },
      };
      const before = logLines.length;
      const client = newClient(`127.0.0.1:${server.port}`);
      try {
        const response = await call(client, poisoned);
        expect(responseBytes(response).includes(secret)).toBe(false);
      } finally {
        client.close();
      }
      const logged = logLines.slice(before).join('\n');
      expect(logged).toContain('RunFunction');
      expect(logged).not.toContain(CANARY);
    });
  }

  it('the log of every example render holds no secret-looking values', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const text = logLines.join('\n');
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|"password"/);
  });
});

interface NegativeCase {
  check: string;
  reason: string;
  bad: JsonObject[];
  /** A substring of the problem reported. */
  want: string;
  /** The fixed version: passes the same check. */
  good: JsonObject[];
}

const S3_READ = { Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::dev-artifacts/*' };

const cases: NegativeCase[] = [
  {
    check: 'iam-no-wildcard-actions',
    reason: 'a service wildcard in a managed policy',
    bad: [policy('karpenter', [{ Effect: 'Allow', Action: 'ec2:*', Resource: 'arn:aws:ec2:eu-central-1:111111111111:instance/*' }])],
    want: 'wildcard action "ec2:*"',
    good: [policy('karpenter', [{ Effect: 'Allow', Action: ['ec2:RunInstances', 'ec2:TerminateInstances'], Resource: 'arn:aws:ec2:eu-central-1:111111111111:instance/*' }])],
  },
  {
    check: 'iam-no-wildcard-actions',
    reason: 'a prefix wildcard in a role inline policy',
    bad: [role('external-dns', [irsaTrust('system:serviceaccount:external-dns:external-dns')], [{ Effect: 'Allow', Action: 'route53:Change*', Resource: 'arn:aws:route53:::hostedzone/Z1' }])],
    want: 'wildcard action "route53:Change*"',
    good: [role('external-dns', [irsaTrust('system:serviceaccount:external-dns:external-dns')], [{ Effect: 'Allow', Action: 'route53:ChangeResourceRecordSets', Resource: 'arn:aws:route53:::hostedzone/Z1' }])],
  },
  {
    check: 'iam-no-wildcard-actions',
    reason: 'Allow with NotAction',
    bad: [policy('p', [{ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::x' }])],
    want: 'NotAction',
    good: [policy('p', [S3_READ])],
  },
  {
    check: 'iam-no-wildcard-actions',
    reason: 'kms:* for a principal other than the account root, in a key policy',
    bad: [aws('kms', 'Key', 'secrets', { region: 'eu-central-1', enableKeyRotation: true, policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/app' }, Action: 'kms:*', Resource: '*' }] }) })],
    want: 'wildcard action "kms:*"',
    good: [aws('kms', 'Key', 'secrets', { region: 'eu-central-1', enableKeyRotation: true, policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] }) })],
  },
  {
    check: 'iam-resource-star-only-where-required',
    reason: 'Resource "*" for an action that takes an ARN',
    bad: [policy('p', [{ Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:TerminateInstances'], Resource: '*' }])],
    want: 'Resource "*" for "ec2:TerminateInstances"',
    good: [policy('p', [{ Effect: 'Allow', Action: ['ec2:DescribeInstances'], Resource: '*' }, { Effect: 'Allow', Action: ['ec2:TerminateInstances'], Resource: 'arn:aws:ec2:eu-central-1:111111111111:instance/*', Condition: { StringEquals: { 'aws:ResourceTag/karpenter.sh/nodepool': 'general' } } }])],
  },
  {
    check: 'iam-resource-star-only-where-required',
    reason: 'Allow with NotResource',
    bad: [policy('p', [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' }])],
    want: 'NotResource',
    good: [policy('p', [S3_READ])],
  },
  {
    check: 'trust-bound-to-exact-service-accounts',
    reason: 'a web-identity trust with a wildcard subject',
    bad: [role('alb', [irsaTrust('system:serviceaccount:kube-system:*', 'StringLike')])],
    want: 'uses a *Like condition',
    good: [role('alb', [irsaTrust('system:serviceaccount:kube-system:aws-load-balancer-controller')])],
  },
  {
    check: 'trust-bound-to-exact-service-accounts',
    reason: 'a web-identity trust without a subject condition',
    bad: [role('alb', [{ ...irsaTrust('x'), Condition: { StringEquals: { 'oidc.eks.eu-central-1.amazonaws.com/id/X:aud': 'sts.amazonaws.com' } } }])],
    want: 'without StringEquals on <issuer>:sub',
    good: [role('alb', [irsaTrust(['system:serviceaccount:kube-system:aws-load-balancer-controller'])])],
  },
  {
    check: 'trust-bound-to-exact-service-accounts',
    reason: 'a web-identity trust without an audience',
    bad: [role('alb', [irsaTrust('system:serviceaccount:kube-system:aws-load-balancer-controller', 'StringEquals', null)])],
    want: 'pin <issuer>:aud',
    good: [role('alb', [irsaTrust('system:serviceaccount:kube-system:aws-load-balancer-controller')])],
  },
  {
    check: 'trust-bound-to-exact-service-accounts',
    reason: 'a role anyone may assume',
    bad: [role('open', [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }])],
    want: 'Principal "*"',
    good: [role('nodes', [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }])],
  },
  {
    check: 'trust-bound-to-exact-service-accounts',
    reason: 'a Pod Identity association for every service account',
    bad: [aws('eks', 'PodIdentityAssociation', 'ebs-csi', { region: 'eu-central-1', clusterNameRef: { name: 'cluster' }, namespace: 'kube-system', serviceAccount: '*', roleArnRef: { name: 'ebs-csi' } })],
    want: 'spec.forProvider.serviceAccount',
    good: [aws('eks', 'PodIdentityAssociation', 'ebs-csi', { region: 'eu-central-1', clusterNameRef: { name: 'cluster' }, namespace: 'kube-system', serviceAccount: 'ebs-csi-controller-sa', roleArnRef: { name: 'ebs-csi' } })],
  },
  {
    check: 'encryption-at-rest',
    reason: 'a bucket without a server-side encryption configuration',
    bad: [bucket('artifacts'), bucketEncryption('logs-sse', 'logs')],
    want: 'no BucketServerSideEncryptionConfiguration',
    good: [bucket('artifacts'), bucketEncryption('artifacts-sse', 'artifacts')],
  },
  {
    check: 'encryption-at-rest',
    reason: 'an unencrypted RDS instance',
    bad: [database('postgres', { storageEncrypted: false })],
    want: 'storageEncrypted',
    good: [database('postgres')],
  },
  {
    check: 'encryption-at-rest',
    reason: 'an unencrypted EBS StorageClass installed through an Object',
    bad: [object('storage-class-fast', storageClass('fast', { type: 'io2' }))],
    want: 'parameters.encrypted must be "true"',
    good: [object('storage-class-fast', storageClass('fast', { type: 'io2', encrypted: 'true' }))],
  },
  {
    check: 'encryption-at-rest',
    reason: 'an unencrypted EBS class in EnvironmentConfig data',
    bad: [{ apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', metadata: { name: 'storage-classes' }, data: { storageClasses: { fast: { name: 'fast', provisioner: 'ebs.csi.aws.com', parameters: { type: 'io2' } } } } }],
    want: 'data.storageClasses.fast.parameters.encrypted',
    good: [{ apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', metadata: { name: 'storage-classes' }, data: { storageClasses: { fast: { name: 'fast', provisioner: 'ebs.csi.aws.com', parameters: { type: 'io2', encrypted: 'true' } } } } }],
  },
  {
    check: 'encryption-at-rest',
    reason: 'an SQS queue without server-side encryption',
    bad: [aws('sqs', 'Queue', 'interruption', { region: 'eu-central-1', messageRetentionSeconds: 300 })],
    want: 'sqsManagedSseEnabled',
    good: [aws('sqs', 'Queue', 'interruption', { region: 'eu-central-1', messageRetentionSeconds: 300, sqsManagedSseEnabled: true })],
  },
  {
    check: 'encryption-at-rest',
    reason: 'a KMS key without rotation',
    bad: [aws('kms', 'Key', 'cluster', { region: 'eu-central-1', description: 'EKS secrets' })],
    want: 'enableKeyRotation',
    good: [aws('kms', 'Key', 'cluster', { region: 'eu-central-1', description: 'EKS secrets', enableKeyRotation: true })],
  },
  {
    check: 'encryption-at-rest',
    reason: 'a Secrets Manager secret on the default key',
    bad: [aws('secretsmanager', 'Secret', 'db-root', { region: 'eu-central-1', name: 'dev/db/root_account' })],
    want: 'customer-managed KMS key',
    good: [aws('secretsmanager', 'Secret', 'db-root', { region: 'eu-central-1', name: 'dev/db/root_account', kmsKeyIdRef: { name: 'secrets' } })],
  },
  {
    check: 'encryption-at-rest',
    reason: 'a Prometheus workspace on the AWS-owned key',
    bad: [aws('amp', 'Workspace', 'amp-workspace', { region: 'eu-central-1', alias: 'dev-cluster' })],
    want: 'customer-managed KMS key',
    good: [aws('amp', 'Workspace', 'amp-workspace', { region: 'eu-central-1', alias: 'dev-cluster', kmsKeyArn: 'arn:aws:kms:eu-central-1:111111111111:key/0f0e0d0c-0b0a-4000-8000-000000000001' })],
  },
  {
    check: 'encryption-at-rest',
    reason: 'an EKS cluster without envelope encryption of secrets',
    bad: [aws('eks', 'Cluster', 'cluster', { region: 'eu-central-1', roleArnRef: { name: 'cluster' }, vpcConfig: { subnetIdRefs: [{ name: 'a' }] } })],
    want: 'encryptionConfig',
    good: [aws('eks', 'Cluster', 'cluster', { region: 'eu-central-1', roleArnRef: { name: 'cluster' }, vpcConfig: { subnetIdRefs: [{ name: 'a' }] }, encryptionConfig: { resources: ['secrets'], provider: { keyArn: 'arn:aws:kms:eu-central-1:111111111111:key/0f0e0d0c-0b0a-4000-8000-000000000001' } } })],
  },
  {
    check: 'encryption-at-rest',
    reason: 'an unencrypted volume in a launch template',
    bad: [launchTemplate('nodes', { metadataOptions: { httpTokens: 'required' }, blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 50, encrypted: 'false' } }] })],
    want: 'blockDeviceMappings[0].ebs.encrypted',
    good: [launchTemplate('nodes', { metadataOptions: { httpTokens: 'required' }, blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 50, encrypted: 'true' } }] })],
  },
  {
    check: 'encryption-at-rest',
    reason: 'an unencrypted volume in an EC2NodeClass',
    bad: [nodeClass('general', { blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: '50Gi', encrypted: false } }] })],
    want: 'spec.blockDeviceMappings[0].ebs.encrypted',
    good: [nodeClass('general', { blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: '50Gi', encrypted: true } }] })],
  },
  {
    check: 'no-public-database-or-bucket',
    reason: 'a publicly accessible database',
    bad: [database('postgres', { publiclyAccessible: true })],
    want: 'publiclyAccessible is true',
    good: [database('postgres')],
  },
  {
    check: 'no-public-database-or-bucket',
    reason: 'a bucket whose public access block leaves public policies allowed',
    bad: [bucket('logs'), publicAccessBlock('logs-pab', 'logs', { blockPublicPolicy: false })],
    want: 'no BucketPublicAccessBlock',
    good: [bucket('logs'), publicAccessBlock('logs-pab', 'logs')],
  },
  {
    check: 'no-public-database-or-bucket',
    reason: 'a bucket without any public access block',
    bad: [bucket('logs')],
    want: 'no BucketPublicAccessBlock',
    good: [bucket('logs'), publicAccessBlock('logs-pab', 'logs')],
  },
  {
    check: 'no-ingress-from-anywhere',
    reason: 'SSH open to the internet',
    bad: [ingressRule('ssh', '0.0.0.0/0', 22)],
    want: 'admits 0.0.0.0/0 on tcp 22-22',
    good: [ingressRule('ssh', '10.1.0.0/16', 22)],
  },
  {
    check: 'no-ingress-from-anywhere',
    reason: 'HTTPS open to the internet on a rule not listed as a public load balancer',
    bad: [ingressRule('api', '0.0.0.0/0', 443)],
    want: 'admits 0.0.0.0/0 on tcp 443-443',
    good: [ingressRule('api', '10.0.0.0/8', 443)],
  },
  {
    check: 'no-ingress-from-anywhere',
    reason: 'an ingress SecurityGroupRule from ::/0 on every protocol',
    bad: [aws('ec2', 'SecurityGroupRule', 'all', { region: 'eu-central-1', type: 'ingress', securityGroupIdRef: { name: 'cluster' }, ipv6CidrBlocks: ['::/0'], fromPort: 0, toPort: 0, protocol: '-1' })],
    want: 'admits ::/0',
    good: [aws('ec2', 'SecurityGroupRule', 'all', { region: 'eu-central-1', type: 'egress', securityGroupIdRef: { name: 'cluster' }, ipv6CidrBlocks: ['::/0'], fromPort: 0, toPort: 0, protocol: '-1' })],
  },
  {
    check: 'imdsv2-required',
    reason: 'a launch template that leaves IMDSv1 on',
    bad: [launchTemplate('nodes', { metadataOptions: { httpTokens: 'optional' } })],
    want: 'httpTokens must be "required"',
    good: [launchTemplate('nodes', { metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 } })],
  },
  {
    check: 'imdsv2-required',
    reason: 'a launch template that says nothing about IMDS (AWS default: optional)',
    bad: [launchTemplate('nodes', { description: 'nodes' })],
    want: 'httpTokens must be "required"',
    good: [launchTemplate('nodes', { description: 'nodes', metadataOptions: { httpTokens: 'required' } })],
  },
  {
    check: 'imdsv2-required',
    reason: 'an EC2NodeClass that makes IMDSv2 optional',
    bad: [nodeClass('general', { metadataOptions: { httpTokens: 'optional' } })],
    want: 'spec.metadataOptions.httpTokens',
    good: [nodeClass('general', { metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 } })],
  },
  {
    check: 'imdsv2-required',
    reason: 'an EKS node group on the default launch template',
    bad: [aws('eks', 'NodeGroup', 'system', { region: 'eu-central-1', clusterNameRef: { name: 'cluster' }, nodeRoleArnRef: { name: 'nodes' }, subnetIdRefs: [{ name: 'a' }], scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 2 } })],
    want: 'launchTemplate',
    good: [aws('eks', 'NodeGroup', 'system', { region: 'eu-central-1', clusterNameRef: { name: 'cluster' }, nodeRoleArnRef: { name: 'nodes' }, subnetIdRefs: [{ name: 'a' }], scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 2 }, launchTemplate: { name: 'system', version: '1' } })],
  },
  {
    check: 'no-secret-values',
    reason: 'a Secret with literal data installed through an Object',
    bad: [object('db-secret', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'forge-api' }, stringData: { password: 'hunter2' } })],
    want: 'stringData: a Secret with literal values',
    good: [object('db-secret', { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: 'forge-api' }, spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'platform-secrets' }, target: { name: 'db' }, data: [{ secretKey: 'password', remoteRef: { key: 'dev/db/forge-api-main', property: 'password' } }] } })],
  },
  {
    check: 'no-secret-values',
    reason: 'an admin password written into Helm values',
    bad: [{ apiVersion: 'helm.m.crossplane.io/v1beta1', kind: 'Release', metadata: { name: 'argo-cd', namespace: 'env-dev' }, spec: { forProvider: { chart: { name: 'argo-cd' }, values: { configs: { secret: { argocdServerAdminPassword: 'x', password: 'hunter2hunter2' } } } } } }],
    want: 'spec.forProvider.values.configs.secret.password: literal value',
    good: [{ apiVersion: 'helm.m.crossplane.io/v1beta1', kind: 'Release', metadata: { name: 'argo-cd', namespace: 'env-dev' }, spec: { forProvider: { chart: { name: 'argo-cd' }, values: { configs: { secret: { createSecret: false } } } } } }],
  },
  {
    check: 'no-secret-values',
    reason: 'a password typed where a template placeholder belongs',
    bad: [object('connection', { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: 'forge-api' }, spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'platform-secrets' }, target: { name: 'db', template: { data: { password: 'hunter2hunter2' } } }, data: [{ secretKey: 'password', remoteRef: { key: 'dev/db/forge-api-main', property: 'password' } }] } })],
    want: 'spec.target.template.data.password: literal value',
    good: [object('connection', { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: 'forge-api' }, spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'platform-secrets' }, target: { name: 'db', template: { data: { password: '{{ .password }}' } } }, data: [{ secretKey: 'password', remoteRef: { key: 'dev/db/forge-api-main', property: 'password' } }] } })],
  },
  {
    check: 'no-secret-values',
    reason: 'an AWS access key and a URL with credentials in Helm values',
    bad: [{ apiVersion: 'helm.m.crossplane.io/v1beta1', kind: 'Release', metadata: { name: 'alloy', namespace: 'env-dev' }, spec: { forProvider: { chart: { name: 'alloy' }, values: { env: { AWS_ACCESS_KEY_ID: 'AKIAABCDEFGHIJKLMNOP', remote: 'https://user:pa55@logs.example.com' } } } } }],
    want: 'an AWS access key id',
    good: [{ apiVersion: 'helm.m.crossplane.io/v1beta1', kind: 'Release', metadata: { name: 'alloy', namespace: 'env-dev' }, spec: { forProvider: { chart: { name: 'alloy' }, values: { remote: 'https://logs.example.com' } } } }],
  },
];

describe('each security check fails when it should', () => {
  it('every check has negative cases', () => {
    const covered = new Set(cases.map((c) => c.check));
    expect(SECURITY_CHECKS.map((c) => c.name).filter((name) => !covered.has(name))).toEqual([]);
  });

  for (const tc of cases) {
    it(`${tc.check}: ${tc.reason}`, () => {
      const target = check(tc.check);
      const findings = securityFindings(tc.bad, [target]);
      expect(findings.length, 'the bad manifest is caught').toBeGreaterThan(0);
      expect(findings.map((f) => f.problem).join('\n')).toContain(tc.want);
      expect(securityFindings(tc.good, [target]), 'the fixed manifest passes').toEqual([]);
      // And the fixed manifests pass every other check that concerns them as well.
      expect(securityFindings(tc.good).filter((f) => f.check === tc.check)).toEqual([]);
    });
  }

  it('every fixture validates against the real upstream schemas, so the checks read real fields', () => {
    const validator = defaultValidator();
    const manifests = cases.flatMap((c) => [...c.bad, ...c.good]);
    const inner = manifests.flatMap((m) => (m.kind === 'Object' ? [((m.spec as JsonObject).forProvider as JsonObject).manifest as JsonObject] : []));
    const report = validateManifests(validator, [{ file: 'fixtures', manifests: [...manifests, ...inner] }], { errorOnMissingSchemas: true });
    expect(report.lines).toEqual([]);
  });
});
