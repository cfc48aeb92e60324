import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { EBS_CSI_SERVICE_ACCOUNT } from '../../functions/platform/src/kinds/environment/cluster.js';
import { readManifest, type JsonObject } from '../helpers/requests.js';
import { environmentComputed, type Resources } from '../helpers/settle.js';
import {
  admits,
  controllerCalls,
  dataProblems,
  documentsOf,
  factsOf,
  resourcePoliciesOf,
  rolesOf,
  runCalls,
  settleInOwnAccount,
  type ComposedRole,
  type Facts,
  type Finding,
} from './iam-model.js';

/** Every example Environment on AWS (onprem composes nothing in AWS), plus dev in the platform role. */
const CASES: { name: string; reason: string; xr: () => JsonObject; other: string }[] = [
  { name: 'dev', reason: 'standalone workload environment', xr: () => readManifest('examples/environment/dev.yaml'), other: 'prod' },
  { name: 'staging', reason: 'workload environment behind the Hub', xr: () => readManifest('examples/environment/staging.yaml'), other: 'prod' },
  { name: 'prod', reason: 'production behind the Hub, Velero on', xr: () => readManifest('examples/environment/prod.yaml'), other: 'staging' },
  { name: 'prod-standalone', reason: 'production without a Hub', xr: () => readManifest('examples/environment/prod-standalone.yaml'), other: 'dev' },
  {
    name: 'dev-platform',
    reason: 'no example uses role: platform, so dev is also checked in that role',
    xr: () => {
      const xr = readManifest('examples/environment/dev.yaml');
      return { ...xr, spec: { ...(xr.spec as JsonObject), role: 'platform' } };
    },
    other: 'prod',
  },
];

const settled = new Map<string, { resources: Resources; facts: Facts }>();
function env(name: string): { resources: Resources; facts: Facts } {
  let found = settled.get(name);
  if (found === undefined) {
    const c = CASES.find((x) => x.name === name)!;
    const resources = settleInOwnAccount(c.xr());
    found = { resources, facts: factsOf(resources) };
    settled.set(name, found);
  }
  return found;
}

const CALLS = controllerCalls();

/** Pod roles bound inside an EKS add-on (its podIdentityAssociation), not by a PodIdentityAssociation resource. */
const ADDON_BOUND: Readonly<Record<string, { namespace: string; name: string }>> = { 'role-ebs-csi': EBS_CSI_SERVICE_ACCOUNT };

/** Roles whose permissions are AWS-managed policies only: no inline policy for the model to evaluate. */
const MANAGED_ONLY: Readonly<Record<string, string>> = {
  'role-cluster': 'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy',
  'role-ebs-csi': 'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
  'role-node-system': 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
  'role-node-karpenter': 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
  'role-database-monitoring': 'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole',
};

/** Roles trusted by an AWS service rather than a pod; their inline policies are the service's (flow logs). */
const SERVICE_ROLES: Readonly<Record<string, string>> = {
  'role-cluster': 'eks.amazonaws.com',
  'role-node-system': 'ec2.amazonaws.com',
  'role-node-karpenter': 'ec2.amazonaws.com',
  'role-flow-logs': 'vpc-flow-logs.amazonaws.com',
  'role-database-monitoring': 'monitoring.rds.amazonaws.com',
};

function describeFindings(findings: Finding[]): string[] {
  return findings.map((f) => `${f.controller}: ${f.call}: expected ${f.expected}, got ${f.got}`);
}

describe.each(CASES)('IAM model, $name ($reason)', ({ name, other }) => {
  let resources: Resources;
  let facts: Facts;
  let roles: ComposedRole[];
  beforeAll(() => {
    ({ resources, facts } = env(name));
    roles = rolesOf(resources, facts.account!);
  });

  it('composes only actions, resource types and condition keys that exist in AWS', async () => {
    const problems = (await Promise.all(documentsOf(resources, facts).map(({ where, doc }) => dataProblems(where, doc)))).flat();
    expect(problems).toEqual([]);
  });

  it('has test data for every role with permissions of its own, and every pod role is bound by a Pod Identity association or IRSA', () => {
    const covered = new Set([...CALLS.map((c) => c.role), ...Object.keys(SERVICE_ROLES), ...Object.keys(MANAGED_ONLY)]);
    expect(roles.map((r) => r.key).filter((k) => !covered.has(k))).toEqual([]);
    // Every one composed carries its managed policy (the monitoring role exists only where Enhanced Monitoring is on).
    for (const [key, arn] of Object.entries(MANAGED_ONLY)) {
      const role = roles.find((r) => r.key === key);
      if (role !== undefined || key !== 'role-database-monitoring') expect(role?.managed ?? [], key).toContain(arn);
    }
  });

  it("allows every controller's calls on its own resources and denies them across the boundary", async () => {
    const otherFacts = env(other).facts;
    const policies = resourcePoliciesOf(resources, facts);
    const findings: Finding[] = [];
    for (const calls of CALLS) {
      const role = roles.find((r) => r.key === calls.role);
      if (role === undefined) continue; // the add-on is off here (Velero outside prod)
      findings.push(...(await runCalls(calls, role, policies, facts, otherFacts)));
    }
    expect(describeFindings(findings.filter((f) => f.openDefect === undefined))).toEqual([]);
    // Open defects stay listed in the call data until fixed; once the model no longer finds one, drop its marker.
    const open = new Set(CALLS.flatMap((c) => (roles.some((r) => r.key === c.role) ? [...c.calls, ...c.denied].flatMap((g) => (g.openDefect !== undefined ? [g.openDefect] : [])) : [])));
    expect(new Set(findings.flatMap((f) => (f.openDefect !== undefined ? [f.openDefect] : [])))).toEqual(open);
  });

  it("delivers Karpenter's interruption events: a rule for each event of the reference, and EventBridge may send to the queue", async () => {
    const reference = (JSON.parse(readFileSync(new URL('./iam-calls/karpenter.json', import.meta.url), 'utf8')) as { interruptionEvents: { source: string; detailType: string }[] }).interruptionEvents;
    const rules = Object.values(resources)
      .filter((r) => r.kind === 'Rule')
      .map((r) => JSON.parse(((r.spec as JsonObject).forProvider as { eventPattern: string }).eventPattern) as { source: string[]; 'detail-type': string[] });
    const composed = rules.map((p) => ({ source: p.source[0], detailType: p['detail-type'][0] }));
    expect(composed).toEqual(expect.arrayContaining(reference));
    expect(composed).toHaveLength(reference.length);
    const queue = resourcePoliciesOf(resources, facts).find((p) => p.key === 'queue-interruptions')!;
    const send = async (sourceAccount: string, secure: string) =>
      (await runSimulation(
        {
          request: { principal: 'events.amazonaws.com', action: 'sqs:SendMessage', resource: { resource: queue.arn, accountId: facts.account! }, contextVariables: { 'aws:SourceAccount': sourceAccount, 'aws:SecureTransport': secure } },
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: queue.policy,
        },
        {},
      )) as { overallResult?: string };
    expect((await send(facts.account!, 'true')).overallResult).toBe('Allowed');
    expect((await send('999999999999', 'true')).overallResult).not.toBe('Allowed');
    expect((await send(facts.account!, 'false')).overallResult).toBe('ExplicitlyDenied');
  });

  it('trust policies admit only the intended service account (Pod Identity or IRSA) or AWS service', async () => {
    const clusterArn = `arn:aws:eks:${facts.region}:${facts.account}:cluster/${facts.cluster}`;
    // The issuer EKS reports for this cluster (the settle helper's stand-in for AWS).
    const reported = environmentComputed(facts.environment!)('cluster', {}) as { identity: { oidc: { issuer: string }[] }[] };
    const issuerHost = reported.identity[0]!.oidc[0]!.issuer.replace(/^https:\/\//, '');
    const associations = Object.values(resources).filter((r) => r.kind === 'PodIdentityAssociation');
    const problems: string[] = [];
    for (const role of roles) {
      const service = SERVICE_ROLES[role.key];
      if (service !== undefined) {
        const principals = role.trust.Statement.map((s) => (s.Principal as { Service?: string }).Service);
        if (JSON.stringify(principals) !== JSON.stringify([service])) problems.push(`${role.key}: trusts ${JSON.stringify(principals)}, expected ${service}`);
        continue;
      }
      const data = CALLS.find((c) => c.role === role.key);
      const association = associations.find((a) => ((a.spec as JsonObject).forProvider as JsonObject).roleArnRef !== undefined && (((a.spec as JsonObject).forProvider as JsonObject).roleArnRef as JsonObject).name === (role.arn.split('/').pop() ?? ''));
      const kind = data?.trust ?? 'pod-identity';
      const intended = association !== undefined ? (((association.spec as JsonObject).forProvider as JsonObject) as { namespace: string; serviceAccount: string }) : undefined;
      const sa = intended !== undefined ? { namespace: intended.namespace, name: intended.serviceAccount } : (data?.serviceAccount ?? ADDON_BOUND[role.key]);
      if (sa === undefined) {
        problems.push(`${role.key}: no Pod Identity association and no test data name its service account`);
        continue;
      }
      if (data !== undefined && (data.serviceAccount.namespace !== sa.namespace || data.serviceAccount.name !== sa.name)) problems.push(`${role.key}: bound to ${sa.namespace}/${sa.name}, test data says ${data.serviceAccount.namespace}/${data.serviceAccount.name}`);
      const who = { clusterArn, issuerHost, ...sa };
      const expectations: [string, typeof who, boolean][] = [
        ['the intended service account', who, true],
        ['another service account in its namespace', { ...who, name: `${sa.name}-other` }, false],
        ['its name in another namespace', { ...who, namespace: 'team-a' }, false],
        ['the same account of another cluster', { ...who, clusterArn: clusterArn.replace(/cluster\/.*/, 'cluster/other'), issuerHost: `${issuerHost}OTHER` }, false],
      ];
      for (const [what, subject, allowed] of expectations) {
        const got = await admits(role, facts.account!, subject, kind);
        if ((got === 'Allowed') !== allowed) problems.push(`${role.key}: ${what}: ${got}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the IAM model catches its class of defect', () => {
  it('names its upstream source and pinned version in every call file', () => {
    for (const calls of CALLS) {
      expect(calls.source, calls.controller).toMatchObject({ repo: expect.stringMatching(/\//), tag: expect.any(String), path: expect.any(String) });
      expect(calls.pinned, calls.controller).toEqual(expect.any(String));
    }
  });

  it("fails today's Karpenter policy (before issue 15 item 4): CreateInstanceProfile by ResourceTag, no ListInstanceProfiles, DescribeInstanceStatus, tag-keys limit or TLS-only queue", async () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/karpenter-before-fix.json', import.meta.url), 'utf8')) as { identityPolicy: ComposedRole['trust']; queuePolicy: ComposedRole['trust'] };
    const { resources, facts } = env('prod');
    const role = rolesOf(resources, facts.account!).find((r) => r.key === 'role-karpenter-controller')!;
    const broken = { ...role, inline: [{ name: 'karpenter-controller', policy: fixture.identityPolicy }] };
    const policies = resourcePoliciesOf(resources, facts).map((p) => (p.key === 'queue-interruptions' ? { ...p, policy: fixture.queuePolicy } : p));
    const calls = CALLS.find((c) => c.controller === 'karpenter')!;
    const failed = describeFindings(await runCalls(calls, broken, policies, facts, env('staging').facts));
    for (const expected of ['iam:CreateInstanceProfile', 'iam:ListInstanceProfiles', 'ec2:DescribeInstanceStatus', 'ec2:DescribePlacementGroups']) {
      expect(failed.some((f) => f.startsWith(`karpenter: ${expected} `) && f.includes('expected Allowed')), expected).toBe(true);
    }
    expect(failed.some((f) => f.includes('tag-keys limit') && f.includes('expected denied'))).toBe(true);
    expect(failed.some((f) => f.includes('plain HTTP') && f.includes('expected denied'))).toBe(true);
  });

  it('fails a too-broad grant: External Secrets on every secret of the account', async () => {
    const { resources, facts } = env('staging');
    const role = rolesOf(resources, facts.account!).find((r) => r.key === 'role-external-secrets')!;
    const broad = { ...role, inline: [{ name: 'broad', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }] } }] };
    const calls = CALLS.find((c) => c.controller === 'external-secrets')!;
    const failed = describeFindings(await runCalls(calls, broad, resourcePoliciesOf(resources, facts), facts, env('prod').facts));
    expect(failed.some((f) => f.includes('secret:prod/') && f.includes('expected denied'))).toBe(true);
    expect(failed.some((f) => f.includes('secret:rds!db-') && f.includes('expected denied'))).toBe(true);
  });

  it('fails a trust policy that admits any service account of the cluster', async () => {
    const { resources, facts } = env('dev');
    const role = rolesOf(resources, facts.account!).find((r) => r.key === 'role-loki')!;
    const statement = role.trust.Statement[0]!;
    const loose = { ...role, trust: { ...role.trust, Statement: [{ ...statement, Condition: { StringEquals: { 'aws:SourceAccount': facts.account! } } }] } };
    const who = { clusterArn: `arn:aws:eks:${facts.region}:${facts.account}:cluster/${facts.cluster}`, issuerHost: '', namespace: 'team-a', name: 'default' };
    expect(await admits(loose, facts.account!, who, 'pod-identity')).toBe('Allowed');
    expect(await admits(role, facts.account!, who, 'pod-identity')).toBe('ImplicitlyDenied');
  });

  it('fails an action or condition key that does not exist', async () => {
    const problems = await dataProblems('fixture', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'ec2:DescribeEverything', Resource: '*' },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:sqs:eu-central-1:111111111111:queue' },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*', Condition: { StringEquals: { 's3:nonsense': 'x' } } },
      ],
    });
    expect(problems.some((p) => p.includes('ec2:DescribeEverything'))).toBe(true);
    expect(problems.some((p) => p.includes('s3:GetObject takes none of arn:aws:sqs'))).toBe(true);
    expect(problems.some((p) => p.includes('condition key s3:nonsense'))).toBe(true);
  });
});
