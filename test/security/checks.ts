import {
  PUBLIC_LOAD_BALANCER_PORTS,
  PUBLIC_LOAD_BALANCER_RULES,
  RESOURCE_STAR_ACTIONS,
  RESOURCE_STAR_DOCUMENTS,
  WILDCARD_ACTION_STATEMENTS,
} from './exceptions.js';

/**
 * Security checks over rendered manifests. Each check reads only the fields
 * of the upstream schemas (schemas/provider-aws, karpenter, kubernetes), so
 * it bites as soon as a kind renders such a resource; test/security proves
 * each one fails on a deliberately bad manifest.
 */

type JsonObject = Record<string, unknown>;

/** One problem: which check, which resource, what is wrong. */
export interface Finding {
  check: string;
  resource: string;
  problem: string;
}

/** A check over every manifest of one render (some checks relate resources, e.g. a bucket and its encryption). */
export interface SecurityCheck {
  name: string;
  /** What it enforces, for the docs and failure messages. */
  rule: string;
  run(manifests: readonly JsonObject[]): Finding[];
}

const RESOURCE_NAME_ANNOTATION = 'crossplane.io/composition-resource-name';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function metadataOf(m: JsonObject): { name?: string; namespace?: string; annotations?: Record<string, string> } {
  return (isObject(m.metadata) ? m.metadata : {}) as ReturnType<typeof metadataOf>;
}

/** `Kind name (composition-resource-name)`, as findings name a resource. */
export function describe(m: JsonObject): string {
  const metadata = metadataOf(m);
  const composed = metadata.annotations?.[RESOURCE_NAME_ANNOTATION];
  return `${String(m.kind)} ${metadata.name ?? '?'}${composed !== undefined ? ` (${composed})` : ''}`;
}

function group(m: JsonObject): string {
  return String(m.apiVersion ?? '').split('/')[0] ?? '';
}

/** Whether a manifest is a managed resource of an AWS service group (`s3.aws.m.upbound.io`, or the cluster-scoped `s3.aws.upbound.io`). */
function isAws(m: JsonObject, service: string, kind: string): boolean {
  return m.kind === kind && (group(m) === `${service}.aws.m.upbound.io` || group(m) === `${service}.aws.upbound.io`);
}

function forProvider(m: JsonObject): JsonObject {
  const spec = isObject(m.spec) ? m.spec : {};
  return isObject(spec.forProvider) ? spec.forProvider : {};
}

/**
 * The manifests to check: each rendered manifest and every manifest wrapped
 * in a provider-kubernetes Object (`spec.forProvider.manifest`), so a
 * StorageClass or Secret installed through an Object is checked like any other.
 */
export function expandManifests(manifests: readonly JsonObject[]): JsonObject[] {
  const out: JsonObject[] = [];
  const visit = (m: JsonObject, via: string | undefined) => {
    const annotated = via === undefined ? m : { ...m, metadata: { ...metadataOf(m), annotations: { ...(metadataOf(m).annotations ?? {}), [RESOURCE_NAME_ANNOTATION]: via } } };
    out.push(annotated);
    if (m.kind === 'Object' && group(m).startsWith('kubernetes.')) {
      const inner = forProvider(m).manifest;
      if (isObject(inner)) visit(inner, `${describe(m)} manifest`);
    }
  };
  for (const m of manifests) visit(m, undefined);
  return out;
}

/** Every value in a manifest with its path, depth first. */
function* walk(value: unknown, path: string): Generator<[string, unknown]> {
  yield [path, value];
  if (Array.isArray(value)) {
    for (const [i, child] of value.entries()) yield* walk(child, `${path}[${i}]`);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) yield* walk(child, path === '' ? key : `${path}.${key}`);
  }
}

/** An IAM policy document found in a manifest: a JSON string (or an object) with a Statement. */
interface PolicyDocument {
  manifest: JsonObject;
  /** Where it sits, e.g. `spec.forProvider.assumeRolePolicy`. */
  path: string;
  statements: JsonObject[];
}

function parsePolicy(value: unknown): JsonObject[] | undefined {
  let document: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (!text.startsWith('{') || !text.includes('Statement')) return undefined;
    try {
      document = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (!isObject(document) || document.Statement === undefined) return undefined;
  return [document.Statement].flat().filter(isObject);
}

/** Every policy document in the manifests, wherever a kind put it (Role, Policy, Key, Queue, Helm values...). */
export function policyDocuments(manifests: readonly JsonObject[]): PolicyDocument[] {
  const out: PolicyDocument[] = [];
  for (const manifest of manifests) {
    for (const [path, value] of walk(manifest, '')) {
      if (typeof value !== 'string' && !(isObject(value) && 'Statement' in value && 'Version' in value)) continue;
      const statements = parsePolicy(value);
      if (statements !== undefined) out.push({ manifest, path, statements });
    }
  }
  return out;
}

function list(value: unknown): string[] {
  return [value].flat().filter((v): v is string => typeof v === 'string');
}

const isAllow = (s: JsonObject) => s.Effect === 'Allow';
const isTrust = (s: JsonObject) => list(s.Action).some((a) => /^sts:AssumeRole/.test(a));

const iamWildcardActions: SecurityCheck = {
  name: 'iam-no-wildcard-actions',
  rule: 'IAM statements that allow name every action; no "*" in an action, no NotAction',
  run(manifests) {
    const findings: Finding[] = [];
    for (const doc of policyDocuments(manifests)) {
      for (const statement of doc.statements.filter(isAllow)) {
        if (statement.NotAction !== undefined) findings.push({ check: this.name, resource: describe(doc.manifest), problem: `${doc.path}: Allow with NotAction grants everything else` });
        const wild = list(statement.Action).filter((a) => a.includes('*'));
        if (wild.length === 0) continue;
        if (WILDCARD_ACTION_STATEMENTS.some((e) => e.matches(statement, String(doc.manifest.kind)))) continue;
        findings.push({ check: this.name, resource: describe(doc.manifest), problem: `${doc.path}: wildcard action ${wild.map((a) => `"${a}"`).join(', ')}` });
      }
    }
    return findings;
  },
};

const iamResourceStar: SecurityCheck = {
  name: 'iam-resource-star-only-where-required',
  rule: 'Resource "*" only for actions AWS cannot scope to a resource (test/security/exceptions.ts), no NotResource',
  run(manifests) {
    const findings: Finding[] = [];
    for (const doc of policyDocuments(manifests)) {
      const field = doc.path.split('.').pop() ?? '';
      if (RESOURCE_STAR_DOCUMENTS.some((d) => d.kind === doc.manifest.kind && d.apiVersion.test(String(doc.manifest.apiVersion)) && d.field === field)) continue;
      for (const statement of doc.statements.filter(isAllow)) {
        if (isTrust(statement)) continue; // trust policies have no Resource; checked below
        if (statement.NotResource !== undefined) findings.push({ check: this.name, resource: describe(doc.manifest), problem: `${doc.path}: Allow with NotResource` });
        if (!list(statement.Resource).includes('*')) continue;
        const unscoped = list(statement.Action).filter((a) => !RESOURCE_STAR_ACTIONS.some((e) => e.action.test(a)));
        if (unscoped.length > 0) {
          findings.push({ check: this.name, resource: describe(doc.manifest), problem: `${doc.path}: Resource "*" for ${unscoped.map((a) => `"${a}"`).join(', ')}, which can be scoped to a resource ARN` });
        }
      }
    }
    return findings;
  },
};

const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

const trustPolicies: SecurityCheck = {
  name: 'trust-bound-to-exact-service-accounts',
  rule: 'web-identity trust pins StringEquals on <issuer>:sub to exact system:serviceaccount:<ns>:<name> and <issuer>:aud to sts.amazonaws.com; no "*" principal; Pod Identity associations name one namespace and service account',
  run(manifests) {
    const findings: Finding[] = [];
    const add = (m: JsonObject, problem: string) => findings.push({ check: this.name, resource: describe(m), problem });
    for (const doc of policyDocuments(manifests)) {
      for (const statement of doc.statements.filter(isAllow)) {
        const principal = statement.Principal;
        if (principal === '*' || (isObject(principal) && list(principal.AWS).includes('*'))) add(doc.manifest, `${doc.path}: Principal "*" may be assumed (or used) by anyone`);
        if (!isTrust(statement) || !isObject(principal) || principal.Federated === undefined) continue;
        const condition = isObject(statement.Condition) ? statement.Condition : {};
        const equals = isObject(condition.StringEquals) ? condition.StringEquals : {};
        const subKeys = Object.keys(equals).filter((k) => k.endsWith(':sub'));
        const audKeys = Object.keys(equals).filter((k) => k.endsWith(':aud'));
        if (Object.keys(condition).some((op) => /Like/.test(op))) add(doc.manifest, `${doc.path}: web-identity trust uses a *Like condition; pin subjects with StringEquals`);
        if (subKeys.length === 0) add(doc.manifest, `${doc.path}: web-identity trust without StringEquals on <issuer>:sub: any service account of the cluster can assume it`);
        for (const key of subKeys) {
          for (const subject of list(equals[key])) {
            if (!SERVICE_ACCOUNT_SUBJECT.test(subject)) add(doc.manifest, `${doc.path}: subject "${subject}" is not one exact service account`);
          }
        }
        if (audKeys.length === 0 || audKeys.some((k) => list(equals[k]).some((v) => v !== 'sts.amazonaws.com'))) {
          add(doc.manifest, `${doc.path}: web-identity trust must pin <issuer>:aud to sts.amazonaws.com`);
        }
      }
    }
    for (const m of manifests.filter((m) => isAws(m, 'eks', 'PodIdentityAssociation'))) {
      const { namespace, serviceAccount } = forProvider(m) as { namespace?: unknown; serviceAccount?: unknown };
      for (const [field, value] of [['namespace', namespace], ['serviceAccount', serviceAccount]] as const) {
        if (typeof value !== 'string' || value === '' || value.includes('*')) add(m, `spec.forProvider.${field}: must name exactly one ${field}`);
      }
    }
    return findings;
  },
};

/** The composition-resource names and metadata names a reference (`bucketRef`, `bucket`) can point at. */
function referencedBy(m: JsonObject, field: string, targets: readonly JsonObject[]): JsonObject[] {
  const params = forProvider(m);
  const ref = params[`${field}Ref`];
  const selector = params[`${field}Selector`];
  const literal = params[field];
  return targets.filter((t) => {
    const meta = metadataOf(t);
    if (isObject(ref) && ref.name === meta.name) return true;
    if (typeof literal === 'string' && (literal === meta.annotations?.['crossplane.io/external-name'] || literal === meta.name)) return true;
    // matchControllerRef picks a target of the same composite: unambiguous only when there is one.
    return isObject(selector) && selector.matchControllerRef === true && targets.length === 1;
  });
}

const SSE_ALGORITHMS = ['aws:kms', 'aws:kms:dsse', 'AES256'];

function hasKmsKey(params: JsonObject, field: string): boolean {
  return [params[field], params[`${field}Ref`], params[`${field}Selector`]].some((v) => (typeof v === 'string' ? v !== '' : isObject(v)));
}

const encryptionAtRest: SecurityCheck = {
  name: 'encryption-at-rest',
  rule: 'every store encrypted at rest: S3 (SSE configuration), RDS (storageEncrypted), EBS StorageClasses and volumes (encrypted), SQS (SSE), KMS (rotation), Secrets Manager and Amazon Managed Prometheus (customer key), EKS secrets (KMS envelope)',
  run(manifests) {
    const findings: Finding[] = [];
    const add = (m: JsonObject, problem: string) => findings.push({ check: this.name, resource: describe(m), problem });
    const buckets = manifests.filter((m) => isAws(m, 's3', 'Bucket'));
    const sseConfigs = manifests.filter((m) => isAws(m, 's3', 'BucketServerSideEncryptionConfiguration'));
    for (const bucket of buckets) {
      const covering = sseConfigs.filter((c) => referencedBy(c, 'bucket', buckets).includes(bucket));
      const encrypted = covering.some((c) =>
        [forProvider(c).rule].flat().filter(isObject).some((rule) => {
          const byDefault = [rule.applyServerSideEncryptionByDefault].flat().find(isObject);
          return byDefault !== undefined && SSE_ALGORITHMS.includes(String(byDefault.sseAlgorithm));
        }),
      );
      if (!encrypted) add(bucket, 'no BucketServerSideEncryptionConfiguration with an SSE algorithm refers to this bucket');
    }
    for (const m of manifests.filter((m) => isAws(m, 'rds', 'Instance') || isAws(m, 'rds', 'Cluster'))) {
      if (forProvider(m).storageEncrypted !== true) add(m, 'spec.forProvider.storageEncrypted must be true');
    }
    for (const m of manifests.filter((m) => isAws(m, 'sqs', 'Queue'))) {
      const params = forProvider(m);
      if (params.sqsManagedSseEnabled !== true && !hasKmsKey(params, 'kmsMasterKeyId')) add(m, 'spec.forProvider: set sqsManagedSseEnabled: true or a kmsMasterKeyId');
    }
    for (const m of manifests.filter((m) => isAws(m, 'kms', 'Key'))) {
      if (forProvider(m).enableKeyRotation !== true) add(m, 'spec.forProvider.enableKeyRotation must be true');
    }
    for (const m of manifests.filter((m) => isAws(m, 'secretsmanager', 'Secret'))) {
      if (!hasKmsKey(forProvider(m), 'kmsKeyId')) add(m, 'spec.forProvider: name the customer-managed KMS key (kmsKeyId, kmsKeyIdRef or kmsKeyIdSelector)');
    }
    for (const m of manifests.filter((m) => isAws(m, 'amp', 'Workspace'))) {
      if (!hasKmsKey(forProvider(m), 'kmsKeyArn')) add(m, 'spec.forProvider: encrypt the workspace with the customer-managed KMS key (kmsKeyArn, kmsKeyArnRef or kmsKeyArnSelector)');
    }
    for (const m of manifests.filter((m) => isAws(m, 'eks', 'Cluster'))) {
      const config = [forProvider(m).encryptionConfig].flat().find(isObject);
      const provider = config === undefined ? undefined : [config.provider].flat().find(isObject);
      if (config === undefined || !list(config.resources).includes('secrets') || provider === undefined || !hasKmsKey(provider, 'keyArn')) {
        add(m, 'spec.forProvider.encryptionConfig: envelope-encrypt "secrets" with a KMS key');
      }
    }
    for (const m of manifests.filter((m) => isAws(m, 'ec2', 'LaunchTemplate'))) {
      for (const [i, mapping] of [forProvider(m).blockDeviceMappings].flat().filter(isObject).entries()) {
        const ebs = [mapping.ebs].flat().find(isObject);
        if (ebs !== undefined && ebs.encrypted !== 'true') add(m, `spec.forProvider.blockDeviceMappings[${i}].ebs.encrypted must be "true"`);
      }
    }
    for (const m of manifests.filter((m) => m.kind === 'EC2NodeClass' && group(m) === 'karpenter.k8s.aws')) {
      const spec = isObject(m.spec) ? m.spec : {};
      for (const [i, mapping] of [spec.blockDeviceMappings].flat().filter(isObject).entries()) {
        if (isObject(mapping.ebs) && mapping.ebs.encrypted !== true) add(m, `spec.blockDeviceMappings[${i}].ebs.encrypted must be true`);
      }
    }
    // EBS StorageClasses, wherever they are described: StorageClass objects, EnvironmentConfig data, Helm values.
    for (const m of manifests) {
      for (const [path, value] of walk(m, '')) {
        if (!isObject(value) || (value.provisioner !== 'ebs.csi.aws.com' && value.provisioner !== 'kubernetes.io/aws-ebs')) continue;
        const parameters = isObject(value.parameters) ? value.parameters : {};
        if (parameters.encrypted !== 'true') add(m, `${path === '' ? '' : `${path}.`}parameters.encrypted must be "true" for an EBS StorageClass`);
      }
    }
    return findings;
  },
};

const noPublicStores: SecurityCheck = {
  name: 'no-public-database-or-bucket',
  rule: 'RDS not publicly accessible; every bucket has a BucketPublicAccessBlock with all four blocks on',
  run(manifests) {
    const findings: Finding[] = [];
    const add = (m: JsonObject, problem: string) => findings.push({ check: this.name, resource: describe(m), problem });
    for (const m of manifests.filter((m) => isAws(m, 'rds', 'Instance') || isAws(m, 'rds', 'Cluster'))) {
      if (forProvider(m).publiclyAccessible === true) add(m, 'spec.forProvider.publiclyAccessible is true');
    }
    const buckets = manifests.filter((m) => isAws(m, 's3', 'Bucket'));
    const blocks = manifests.filter((m) => isAws(m, 's3', 'BucketPublicAccessBlock'));
    for (const bucket of buckets) {
      const covering = blocks.filter((b) => referencedBy(b, 'bucket', buckets).includes(bucket));
      const complete = covering.some((b) => {
        const p = forProvider(b);
        return p.blockPublicAcls === true && p.blockPublicPolicy === true && p.ignorePublicAcls === true && p.restrictPublicBuckets === true;
      });
      if (!complete) add(bucket, 'no BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true refers to this bucket');
    }
    return findings;
  },
};

const ANYWHERE = ['0.0.0.0/0', '::/0'];

const noOpenIngress: SecurityCheck = {
  name: 'no-ingress-from-anywhere',
  rule: 'no security group rule admits 0.0.0.0/0 or ::/0, except listed public load balancers on TCP 80/443',
  run(manifests) {
    const findings: Finding[] = [];
    const rules = manifests.flatMap((m) => {
      const p = forProvider(m);
      if (isAws(m, 'ec2', 'SecurityGroupIngressRule')) return [{ m, cidrs: list([p.cidrIpv4, p.cidrIpv6].flat()), from: p.fromPort, to: p.toPort, protocol: p.ipProtocol }];
      if (isAws(m, 'ec2', 'SecurityGroupRule') && p.type === 'ingress') return [{ m, cidrs: [...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks)], from: p.fromPort, to: p.toPort, protocol: p.protocol }];
      return [];
    });
    for (const { m, cidrs, from, to, protocol } of rules) {
      const open = cidrs.filter((c) => ANYWHERE.includes(c));
      if (open.length === 0) continue;
      const name = metadataOf(m).annotations?.[RESOURCE_NAME_ANNOTATION] ?? metadataOf(m).name ?? '';
      const listed = PUBLIC_LOAD_BALANCER_RULES.some((e) => e.resource.test(name));
      const webPort = from === to && typeof from === 'number' && PUBLIC_LOAD_BALANCER_PORTS.includes(from) && (protocol === 'tcp' || protocol === '6');
      if (listed && webPort) continue;
      findings.push({
        check: this.name,
        resource: describe(m),
        problem: `admits ${open.join(', ')} on ${String(protocol)} ${String(from)}-${String(to)}${listed ? ' (listed as a public load balancer, which may open only TCP 80/443)' : ''}`,
      });
    }
    return findings;
  },
};

const imdsV2: SecurityCheck = {
  name: 'imdsv2-required',
  rule: 'launch templates set metadataOptions.httpTokens: required; EC2NodeClasses never make it optional; EKS node groups use a launch template',
  run(manifests) {
    const findings: Finding[] = [];
    const add = (m: JsonObject, problem: string) => findings.push({ check: this.name, resource: describe(m), problem });
    for (const m of manifests.filter((m) => isAws(m, 'ec2', 'LaunchTemplate'))) {
      const options = [forProvider(m).metadataOptions].flat().find(isObject);
      if (options?.httpTokens !== 'required') add(m, 'spec.forProvider.metadataOptions.httpTokens must be "required" (IMDSv2)');
    }
    for (const m of manifests.filter((m) => m.kind === 'EC2NodeClass' && group(m) === 'karpenter.k8s.aws')) {
      const spec = isObject(m.spec) ? m.spec : {};
      // Karpenter defaults httpTokens to required; only an explicit other value weakens it.
      if (isObject(spec.metadataOptions) && spec.metadataOptions.httpTokens !== undefined && spec.metadataOptions.httpTokens !== 'required') {
        add(m, 'spec.metadataOptions.httpTokens must be "required" (IMDSv2)');
      }
    }
    for (const m of manifests.filter((m) => isAws(m, 'eks', 'NodeGroup'))) {
      const template = [forProvider(m).launchTemplate].flat().find(isObject);
      const named = template !== undefined && ['id', 'name', 'idRef', 'nameRef', 'idSelector', 'nameSelector'].some((k) => template[k] !== undefined);
      if (!named) add(m, 'spec.forProvider.launchTemplate: use a launch template that requires IMDSv2');
    }
    return findings;
  },
};

/** Field names whose literal string value would be a secret in the output. */
const SECRET_FIELD = /^(password|passwd|secret|secretString|secretBinary|token|apiKey|api_key|privateKey|private_key|clientSecret|client_secret|secretAccessKey|masterPassword|connectionString)$/i;

/** Values that are secrets whatever field they sit in. */
const SECRET_VALUE: ReadonlyArray<[RegExp, string]> = [
  [/\bA(KIA|SIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/, 'a PEM private key'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@/, 'a URL with a password in it'],
  [/\bgh[pousr]_[A-Za-z0-9]{36}\b/, 'a GitHub token'],
  [/\bglc_[A-Za-z0-9+/=]{20,}/, 'a Grafana Cloud token'],
];

const noSecretValues: SecurityCheck = {
  name: 'no-secret-values',
  rule: 'no Secret carries data, no secret-named field holds a literal, no value looks like a credential',
  run(manifests) {
    const findings: Finding[] = [];
    const add = (m: JsonObject, problem: string) => findings.push({ check: this.name, resource: describe(m), problem });
    for (const m of manifests) {
      if (m.kind === 'Secret' && (m.apiVersion === 'v1' || m.apiVersion === undefined)) {
        for (const field of ['data', 'stringData']) {
          if (isObject(m[field]) && Object.keys(m[field]).length > 0) add(m, `${field}: a Secret with literal values; deliver secrets through External Secrets or a generated password`);
        }
      }
      for (const [path, value] of walk(m, '')) {
        // A template placeholder ({{ .password }}) names a secret, it does not hold one.
        if (typeof value !== 'string' || value === '' || /^\s*\{\{.*\}\}\s*$/s.test(value)) continue;
        const key = path.split('.').pop()?.replace(/\[\d+\]$/, '') ?? '';
        if (SECRET_FIELD.test(key)) add(m, `${path}: literal value in a secret field`);
        for (const [pattern, what] of SECRET_VALUE) if (pattern.test(value)) add(m, `${path}: holds ${what}`);
      }
    }
    return findings;
  },
};

/** Every check, in the order findings are reported. */
export const SECURITY_CHECKS: readonly SecurityCheck[] = [iamWildcardActions, iamResourceStar, trustPolicies, encryptionAtRest, noPublicStores, noOpenIngress, imdsV2, noSecretValues];

/** Runs every check over a render (Objects unwrapped) and returns all findings. */
export function securityFindings(manifests: readonly JsonObject[], checks: readonly SecurityCheck[] = SECURITY_CHECKS): Finding[] {
  const expanded = expandManifests(manifests);
  return checks.flatMap((check) => check.run(expanded));
}
