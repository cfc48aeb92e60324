import { beforeAll, describe, expect, it } from 'vitest';
import { runFunction } from '../../functions/platform/src/run-function.js';
import { isPlatformNamespace, PLATFORM_NAMESPACES } from '../../functions/platform/src/environment-config/access-config.js';
import { principalKey } from '../../functions/platform/src/kinds/environment/cluster.js';
import { environmentRequired, readManifest, request, type JsonObject } from '../helpers/requests.js';
import { settleEnvironment, type Resources } from '../helpers/settle.js';
import { allowed, appProjectPermits, argocdAllowed, composedAccess, grantsFor, type ComposedAccess, type Identity, type Request } from './evaluator.js';

/**
 * Who may do what in each example environment at its fixpoint, evaluated
 * from the composed access entries, access-policy associations, RBAC and
 * Argo CD settings (evaluator.ts). Teams and roles are those of the shipped
 * environment-configs: team forge owns forge-api and forge-worker, team
 * voting owns voting-api.
 */

type Verdict = 'allow' | 'deny';
/** Expected verdict in the principal's own team namespace, another team's, and every platform namespace. */
type Spread = { own: Verdict; other: Verdict; platform: Verdict };
type Row = [principal: string, action: keyof typeof ACTIONS, expect: Spread];
type ClusterRow = [principal: string, action: keyof typeof CLUSTER_ACTIONS, expect: Verdict];

const ACTIONS = {
  'read pods': { verb: 'get', apiGroup: '', resource: 'pods' },
  'read pod logs': { verb: 'get', apiGroup: '', resource: 'pods/log' },
  'read secrets': { verb: 'get', apiGroup: '', resource: 'secrets' },
  'write secrets': { verb: 'update', apiGroup: '', resource: 'secrets' },
  'exec into pods': { verb: 'create', apiGroup: '', resource: 'pods/exec' },
  'deploy': { verb: 'create', apiGroup: 'apps', resource: 'deployments' },
  'delete configmaps': { verb: 'delete', apiGroup: '', resource: 'configmaps' },
  'create Network': { verb: 'create', apiGroup: 'platform.projectcatalyst.io', resource: 'networks' },
  'read Network': { verb: 'get', apiGroup: 'platform.projectcatalyst.io', resource: 'networks' },
  'read ExternalSecrets': { verb: 'list', apiGroup: 'external-secrets.io', resource: 'externalsecrets' },
  'grant RBAC': { verb: 'create', apiGroup: 'rbac.authorization.k8s.io', resource: 'rolebindings' },
  // Nobody but platform admins creates Argo CD Applications: the Environment composes the teams' ones from the config.
  'create Application': { verb: 'create', apiGroup: 'argoproj.io', resource: 'applications' },
} as const satisfies Record<string, Omit<Request, 'namespace'>>;

const CLUSTER_ACTIONS = {
  'get own namespace': { verb: 'get', apiGroup: '', resource: 'namespaces', name: 'forge-api' },
  'delete own namespace': { verb: 'delete', apiGroup: '', resource: 'namespaces', name: 'forge-api' },
  'bind cluster roles': { verb: 'create', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
  'edit CRDs': { verb: 'update', apiGroup: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
} as const satisfies Record<string, Request>;

/** Where each principal's "own" and "other" namespaces are. */
const HOME: Record<string, { own: string; other: string }> = {
  forge: { own: 'forge-api', other: 'voting-api' },
  voting: { own: 'voting-api', other: 'forge-api' },
};
const NO_HOME = { own: 'forge-api', other: 'voting-api' };

const PLATFORM = ['kube-system', 'argocd', 'crossplane-system', 'monitoring', 'istio-system', 'external-secrets', 'envoy-gateway-system', 'cert-manager'];

const all = (v: Verdict): Spread => ({ own: v, other: v, platform: v });
const ownOnly: Spread = { own: 'allow', other: 'deny', platform: 'deny' };

/** Every principal gets every action: nothing listed means deny everywhere. */
function everything(principal: string, v: Verdict): { rows: Row[]; cluster: ClusterRow[] } {
  return {
    rows: (Object.keys(ACTIONS) as Array<keyof typeof ACTIONS>).map((a) => [principal, a, all(v)]),
    cluster: (Object.keys(CLUSTER_ACTIONS) as Array<keyof typeof CLUSTER_ACTIONS>).map((a) => [principal, a, v]),
  };
}

/** A developer team with edit (dev, on-prem): read everywhere but Secrets, change only its own namespaces. */
function editTeam(p: string): { rows: Row[]; cluster: ClusterRow[] } {
  return {
    rows: [
      [p, 'read pods', all('allow')],
      [p, 'read pod logs', all('allow')],
      [p, 'read secrets', ownOnly],
      [p, 'write secrets', ownOnly],
      [p, 'exec into pods', ownOnly],
      [p, 'deploy', ownOnly],
      [p, 'delete configmaps', ownOnly],
      [p, 'create Network', ownOnly],
      [p, 'read Network', ownOnly],
      [p, 'read ExternalSecrets', ownOnly],
      [p, 'grant RBAC', all('deny')],
      [p, 'create Application', all('deny')],
    ],
    cluster: [
      [p, 'get own namespace', 'allow'],
      [p, 'delete own namespace', 'deny'],
      [p, 'bind cluster roles', 'deny'],
      [p, 'edit CRDs', 'deny'],
    ],
  };
}

/** A developer team with view (staging): read everywhere but Secrets; the project kinds readable in its own namespaces only. */
function viewTeam(p: string): { rows: Row[]; cluster: ClusterRow[] } {
  return {
    rows: [
      [p, 'read pods', all('allow')],
      [p, 'read pod logs', all('allow')],
      [p, 'read secrets', all('deny')],
      [p, 'write secrets', all('deny')],
      [p, 'exec into pods', all('deny')],
      [p, 'deploy', all('deny')],
      [p, 'delete configmaps', all('deny')],
      [p, 'create Network', all('deny')],
      [p, 'read Network', ownOnly],
      [p, 'read ExternalSecrets', ownOnly],
      [p, 'grant RBAC', all('deny')],
      [p, 'create Application', all('deny')],
    ],
    cluster: [
      [p, 'get own namespace', 'allow'],
      [p, 'delete own namespace', 'deny'],
      [p, 'bind cluster roles', 'deny'],
      [p, 'edit CRDs', 'deny'],
    ],
  };
}

/** Production operators: read everything but Secrets (the platform kinds too), change nothing. */
function viewOperators(p: string): { rows: Row[]; cluster: ClusterRow[] } {
  return {
    rows: [
      [p, 'read pods', all('allow')],
      [p, 'read pod logs', all('allow')],
      [p, 'read secrets', all('deny')],
      [p, 'write secrets', all('deny')],
      [p, 'exec into pods', all('deny')],
      [p, 'deploy', all('deny')],
      [p, 'delete configmaps', all('deny')],
      [p, 'create Network', all('deny')],
      [p, 'read Network', all('allow')],
      [p, 'read ExternalSecrets', all('allow')],
      [p, 'grant RBAC', all('deny')],
      [p, 'create Application', all('deny')],
    ],
    cluster: [
      [p, 'get own namespace', 'allow'],
      [p, 'delete own namespace', 'deny'],
      [p, 'bind cluster roles', 'deny'],
      [p, 'edit CRDs', 'deny'],
    ],
  };
}

function table(...parts: Array<{ rows: Row[]; cluster: ClusterRow[] }>): { rows: Row[]; cluster: ClusterRow[] } {
  return { rows: parts.flatMap((p) => p.rows), cluster: parts.flatMap((p) => p.cluster) };
}

/** Every cell of a table where the composed access disagrees, with what granted it. */
export function violations(access: ComposedAccess, identities: Record<string, Identity>, t: { rows: Row[]; cluster: ClusterRow[] }): string[] {
  const found: string[] = [];
  const check = (principal: string, action: string, request: Request, want: Verdict) => {
    const identity = identities[principal];
    if (identity === undefined) throw new Error(`no identity ${principal}`);
    const grants = grantsFor(access, identity, request);
    const got: Verdict = grants.length > 0 ? 'allow' : 'deny';
    if (got !== want) found.push(`${principal} ${action} in ${request.namespace ?? '(cluster)'}: want ${want}, got ${got}${grants.length > 0 ? ` through ${grants.join('; ')}` : ''}`);
  };
  for (const [principal, action, spread] of t.rows) {
    const home = HOME[principal] ?? NO_HOME;
    check(principal, action, { ...ACTIONS[action], namespace: home.own }, spread.own);
    check(principal, action, { ...ACTIONS[action], namespace: home.other }, spread.other);
    for (const ns of PLATFORM) check(principal, action, { ...ACTIONS[action], namespace: ns }, spread.platform);
  }
  for (const [principal, action, want] of t.cluster) check(principal, action, CLUSTER_ACTIONS[action], want);
  return found;
}

/** Argo CD: [groups, resource, action, object, expected]. */
type ArgoRow = [who: string, resource: string, action: string, object: string, expect: Verdict];

function argoTable(production: boolean, operatorsAdmin: boolean): ArgoRow[] {
  const nonProd: Verdict = production ? 'deny' : 'allow';
  return [
    ['forge', 'applications', 'get', 'team-forge/api', 'allow'],
    ['forge', 'applications', 'get', 'team-voting/api', 'allow'],
    ['forge', 'applications', 'sync', 'team-forge/api', nonProd],
    ['forge', 'applications', 'sync', 'team-voting/api', 'deny'],
    ['forge', 'applications', 'delete', 'team-forge/api', 'deny'],
    ['forge', 'applications', 'update', 'team-forge/api', 'deny'],
    // A team does not create its Applications, and does not need to: the Environment composes them from data.access.teams[].applications.
    ['forge', 'applications', 'create', 'team-forge/api', 'deny'],
    ['voting', 'applications', 'create', 'team-voting/api', 'deny'],
    ['forge', 'logs', 'get', 'team-forge/api', nonProd],
    ['forge', 'exec', 'create', 'team-forge/api', 'deny'],
    ['forge', 'projects', 'update', 'team-forge', 'deny'],
    ['voting', 'applications', 'sync', 'team-voting/api', nonProd],
    ['voting', 'applications', 'sync', 'team-forge/api', 'deny'],
    ['operators', 'applications', 'sync', 'team-voting/api', 'allow'],
    ['operators', 'applications', 'delete', 'team-forge/api', operatorsAdmin ? 'allow' : 'deny'],
    ['operators', 'applications', 'create', 'team-forge/api', operatorsAdmin ? 'allow' : 'deny'],
    ['break-glass', 'applications', 'delete', 'team-forge/api', 'deny'],
    ['stranger', 'applications', 'get', 'team-forge/api', 'deny'],
  ];
}

const ARGO_GROUPS: Record<string, string[]> = {
  forge: ['catalyst-forge:team:forge'],
  voting: ['catalyst-forge:team:voting'],
  operators: ['catalyst-forge:platform-operators'],
  'break-glass': ['catalyst-forge:break-glass'],
  stranger: ['someone-else'],
};

function argoViolations(access: ComposedAccess, rows: ArgoRow[]): string[] {
  return rows.flatMap(([who, resource, action, object, want]) => {
    const got: Verdict = argocdAllowed(access, ARGO_GROUPS[who] ?? [], resource, action, object) ? 'allow' : 'deny';
    return got === want ? [] : [`argocd ${who} ${action} ${resource} ${object}: want ${want}, got ${got}`];
  });
}

const FORGE_REPO = 'https://github.com/input-output-hk/catalyst-forge.git';
const VOTING_REPO = 'https://github.com/input-output-hk/catalyst-voting.git';

/** [project, repository, namespace, expected]: what an Application of a project may sync where. */
const PROJECT_ROWS: Array<[string, string, string, Verdict]> = [
  ['team-forge', FORGE_REPO, 'forge-api', 'allow'],
  ['team-forge', FORGE_REPO, 'forge-worker', 'allow'],
  ['team-forge', FORGE_REPO, 'voting-api', 'deny'],
  ['team-forge', FORGE_REPO, 'kube-system', 'deny'],
  ['team-forge', FORGE_REPO, 'argocd', 'deny'],
  ['team-forge', VOTING_REPO, 'forge-api', 'deny'],
  ['team-voting', VOTING_REPO, 'voting-api', 'allow'],
  ['team-voting', VOTING_REPO, 'forge-api', 'deny'],
  ['team-voting', FORGE_REPO, 'voting-api', 'deny'],
];

function projectViolations(access: ComposedAccess): string[] {
  const found = PROJECT_ROWS.flatMap(([project, repo, ns, want]) => {
    const got: Verdict = appProjectPermits(access, project, repo, ns) ? 'allow' : 'deny';
    return got === want ? [] : [`AppProject ${project}: ${repo} into ${ns}: want ${want}, got ${got}`];
  });
  for (const p of access.appProjects) if (p.clusterResourceWhitelist.length > 0) found.push(`AppProject ${p.name} may sync cluster-scoped kinds`);
  return found;
}

function awsIdentities(account: string, extra: Record<string, Identity> = {}): Record<string, Identity> {
  return {
    forge: { principalArn: `arn:aws:iam::${account}:role/forge-developers` },
    voting: { principalArn: `arn:aws:iam::${account}:role/voting-developers` },
    operators: { principalArn: `arn:aws:iam::${account}:role/platform-operators` },
    'break-glass': { principalArn: `arn:aws:iam::${account}:role/break-glass` },
    stranger: { principalArn: `arn:aws:iam::${account}:role/someone-else` },
    ...extra,
  };
}

const ONPREM_IDENTITIES: Record<string, Identity> = Object.fromEntries(Object.entries(ARGO_GROUPS).map(([k, groups]) => [k, { groups }]));

interface EnvironmentCase {
  file: string;
  overrides?: JsonObject;
  identities: Record<string, Identity>;
  table: { rows: Row[]; cluster: ClusterRow[] };
  argo: ArgoRow[];
}

const CASES: Record<string, EnvironmentCase> = {
  dev: {
    file: 'examples/environment/dev.yaml',
    identities: awsIdentities('111111111111', { 'platform-admins': { principalArn: 'arn:aws:iam::111111111111:role/platform-admins' } }),
    table: table(editTeam('forge'), editTeam('voting'), everything('operators', 'allow'), everything('platform-admins', 'allow'), everything('break-glass', 'deny'), everything('stranger', 'deny')),
    argo: argoTable(false, true),
  },
  staging: {
    file: 'examples/environment/staging.yaml',
    identities: awsIdentities('222222222222'),
    table: table(viewTeam('forge'), viewTeam('voting'), everything('operators', 'allow'), everything('break-glass', 'deny'), everything('stranger', 'deny')),
    argo: argoTable(false, true),
  },
  prod: {
    file: 'examples/environment/prod.yaml',
    identities: awsIdentities('333333333333'),
    table: table(everything('forge', 'deny'), everything('voting', 'deny'), viewOperators('operators'), everything('break-glass', 'deny'), everything('stranger', 'deny')),
    argo: argoTable(true, false),
  },
  'prod-standalone': {
    file: 'examples/environment/prod-standalone.yaml',
    identities: awsIdentities('333333333333'),
    table: table(everything('forge', 'deny'), everything('voting', 'deny'), viewOperators('operators'), everything('break-glass', 'deny'), everything('stranger', 'deny')),
    argo: argoTable(true, false),
  },
  onprem: {
    file: 'examples/environment/onprem.yaml',
    identities: ONPREM_IDENTITIES,
    table: table(editTeam('forge'), editTeam('voting'), everything('operators', 'allow'), everything('break-glass', 'deny'), everything('stranger', 'deny')),
    argo: argoTable(false, true),
  },
  'prod with break-glass switched on': {
    file: 'examples/environment/prod.yaml',
    overrides: { access: { breakGlass: { enabled: true } } },
    identities: awsIdentities('333333333333'),
    table: table(everything('forge', 'deny'), viewOperators('operators'), everything('break-glass', 'allow'), everything('stranger', 'deny')),
    argo: argoTable(true, false).map((row): ArgoRow => (row[0] === 'break-glass' ? [row[0], row[1], row[2], row[3], 'allow'] : row)),
  },
};

function settled(tc: EnvironmentCase): Resources {
  const xr = readManifest(tc.file);
  const spec = xr.spec as JsonObject;
  return settleEnvironment(tc.overrides !== undefined ? { ...xr, spec: { ...spec, overrides: { ...((spec.overrides as JsonObject | undefined) ?? {}), ...tc.overrides } } } : xr).resources;
}

const composed: Record<string, Resources> = {};
beforeAll(() => {
  for (const [name, tc] of Object.entries(CASES)) composed[name] = settled(tc);
});

describe('access in every example environment at its fixpoint', () => {
  for (const [name, tc] of Object.entries(CASES)) {
    it(`${name}: principal x action x namespace as the table says`, () => {
      expect(violations(composedAccess(composed[name] ?? {}), tc.identities, tc.table)).toEqual([]);
    });
    it(`${name}: Argo CD RBAC and AppProjects as the table says`, () => {
      const access = composedAccess(composed[name] ?? {});
      expect([...argoViolations(access, tc.argo), ...projectViolations(access)]).toEqual([]);
    });
  }

  it('dev: one access entry per principal with its group, edit scoped to the team\'s namespaces; adminPrincipalArns keep their keys', () => {
    const resources = composed.dev ?? {};
    const keys = Object.keys(resources).filter((k) => k.startsWith('access-') && k !== 'access-entry-node-karpenter').sort();
    const hash = (arn: string) => principalKey(arn);
    const forge = `team-forge-${hash('arn:aws:iam::111111111111:role/forge-developers')}`;
    const voting = `team-voting-${hash('arn:aws:iam::111111111111:role/voting-developers')}`;
    const operator = `operator-${hash('arn:aws:iam::111111111111:role/platform-operators')}`;
    const admin = `admin-${hash('arn:aws:iam::111111111111:role/platform-admins')}`;
    expect(keys).toEqual(
      [
        `access-entry-${admin}`, `access-entry-${forge}`, `access-entry-${operator}`, `access-entry-${voting}`,
        `access-policy-${admin}`, `access-policy-${forge}-edit`, `access-policy-${forge}-view`, `access-policy-${operator}-cluster-admin`, `access-policy-${voting}-edit`, `access-policy-${voting}-view`,
      ].sort(),
    );
    const fp = (key: string) => ((resources[key]?.spec as JsonObject).forProvider as JsonObject);
    expect(fp(`access-entry-${forge}`)).toMatchObject({ principalArn: 'arn:aws:iam::111111111111:role/forge-developers', type: 'STANDARD', kubernetesGroups: ['catalyst-forge:team:forge'] });
    expect(fp(`access-policy-${forge}-edit`)).toMatchObject({ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy', accessScope: { type: 'namespace', namespaces: ['forge-api', 'forge-worker'] } });
    expect(fp(`access-policy-${forge}-view`)).toMatchObject({ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy', accessScope: { type: 'cluster' } });
    expect(Object.keys(composed.prod ?? {}).filter((k) => k.startsWith('access-entry-') && !k.includes('node-karpenter'))).toEqual([`access-entry-operator-${hash('arn:aws:iam::333333333333:role/platform-operators')}`]);
  });

  it('every add-on release namespace is a platform namespace, so no team can be given one', () => {
    const namespaces = new Set(
      Object.values(composed).flatMap((resources) =>
        Object.values(resources)
          .filter((r) => r.kind === 'Release')
          .map((r) => ((r.spec as JsonObject).forProvider as JsonObject).namespace as string),
      ),
    );
    expect([...namespaces].filter((ns) => !isPlatformNamespace(ns))).toEqual([]);
    expect(PLATFORM_NAMESPACES).toContain('kube-system');
  });
});

/** A provider-kubernetes Object as the composition holds it. */
function objectOf(manifest: JsonObject): JsonObject {
  return { apiVersion: 'kubernetes.m.crossplane.io/v1alpha1', kind: 'Object', spec: { forProvider: { manifest } } };
}

describe('the evaluator catches a too-broad grant (negative fixtures on dev)', () => {
  const fixtures: Array<{ reason: string; add?: Record<string, JsonObject>; change?: (r: Resources) => void; want: string }> = [
    {
      reason: 'an edit association with cluster scope lets the team deploy into the platform namespaces',
      add: {
        bad: {
          apiVersion: 'eks.aws.m.upbound.io/v1beta1',
          kind: 'AccessPolicyAssociation',
          spec: { forProvider: { principalArn: 'arn:aws:iam::111111111111:role/forge-developers', policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy', accessScope: { type: 'cluster' } } },
        },
      },
      want: 'forge deploy in kube-system: want deny, got allow through AmazonEKSEditPolicy (cluster)',
    },
    {
      reason: 'an edit association whose namespace wildcard reaches another team',
      add: {
        bad: {
          apiVersion: 'eks.aws.m.upbound.io/v1beta1',
          kind: 'AccessPolicyAssociation',
          spec: { forProvider: { principalArn: 'arn:aws:iam::111111111111:role/forge-developers', policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy', accessScope: { type: 'namespace', namespaces: ['forge-*', 'v*'] } } },
        },
      },
      want: 'forge deploy in voting-api: want deny, got allow',
    },
    {
      reason: 'a ClusterRoleBinding of edit to a team group',
      add: {
        bad: objectOf({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'too-broad' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'catalyst-forge:team:forge' }],
        }),
      },
      want: 'forge read secrets in argocd: want deny, got allow through ClusterRoleBinding /ClusterRole:edit',
    },
    {
      reason: 'a RoleBinding in another team\'s namespace',
      add: {
        bad: objectOf({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'cross-team', namespace: 'voting-api' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'catalyst-forge-team' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'catalyst-forge:team:forge' }],
        }),
      },
      want: 'forge create Network in voting-api: want deny, got allow through RoleBinding voting-api/Role:catalyst-forge-team',
    },
    {
      reason: 'a team Role that can grant RBAC in its own namespace',
      change: (r) => {
        const role = Object.values(r).find((x) => ((x.spec as JsonObject | undefined)?.forProvider as JsonObject | undefined)?.manifest !== undefined && ((((x.spec as JsonObject).forProvider as JsonObject).manifest as JsonObject).kind === 'Role') && (((((x.spec as JsonObject).forProvider as JsonObject).manifest as JsonObject).metadata as JsonObject).namespace === 'forge-api'));
        const manifest = ((role?.spec as JsonObject).forProvider as JsonObject).manifest as JsonObject;
        manifest.rules = [...(manifest.rules as JsonObject[]), { apiGroups: ['rbac.authorization.k8s.io'], resources: ['*'], verbs: ['*'] }];
      },
      want: 'forge grant RBAC in forge-api: want deny, got allow',
    },
    {
      reason: 'a principal without an access entry is not let in by an association alone',
      change: (r) => {
        for (const [key, x] of Object.entries(r)) if (x.kind === 'AccessEntry' && ((x.spec as JsonObject).forProvider as JsonObject).principalArn === 'arn:aws:iam::111111111111:role/forge-developers') delete r[key];
      },
      want: 'forge read pods in forge-api: want allow, got deny',
    },
  ];
  for (const f of fixtures) {
    it(f.reason, () => {
      const resources: Resources = structuredClone({ ...(composed.dev ?? {}), ...(f.add ?? {}) });
      f.change?.(resources);
      const found = violations(composedAccess(resources), CASES.dev?.identities ?? {}, CASES.dev?.table ?? { rows: [], cluster: [] });
      expect(found.some((v) => v.startsWith(f.want))).toBe(true);
    });
  }

  it('a policy.csv line letting a team sync every project', () => {
    const access = composedAccess(composed.dev ?? {});
    access.argocdPolicy.push('p, role:team-forge, applications, sync, */*, allow');
    expect(argoViolations(access, argoTable(false, true))).toEqual(['argocd forge sync applications team-voting/api: want deny, got allow']);
  });

  it('an AppProject whose destinations reach any namespace', () => {
    const access = composedAccess(composed.dev ?? {});
    const project = access.appProjects.find((p) => p.name === 'team-forge');
    project?.destinations.push({ server: 'https://kubernetes.default.svc', namespace: '*' });
    expect(projectViolations(access)).toEqual(['AppProject team-forge: https://github.com/input-output-hk/catalyst-forge.git into voting-api: want deny, got allow', 'AppProject team-forge: https://github.com/input-output-hk/catalyst-forge.git into kube-system: want deny, got allow', 'AppProject team-forge: https://github.com/input-output-hk/catalyst-forge.git into argocd: want deny, got allow']);
  });

  it('the evaluator itself: a namespaced association covers its Namespace objects, not other cluster-scoped kinds', () => {
    const access = composedAccess(composed.dev ?? {});
    const forge: Identity = { principalArn: 'arn:aws:iam::111111111111:role/forge-developers' };
    expect(allowed(access, forge, { verb: 'get', apiGroup: '', resource: 'namespaces', name: 'voting-api' })).toBe(true); // through View, cluster-wide
    expect(allowed(access, forge, { verb: 'get', apiGroup: '', resource: 'nodes' })).toBe(false);
  });
});

describe('access configuration refused before anything is composed', () => {
  const prod = readManifest('examples/environment/prod.yaml');
  const dev = readManifest('examples/environment/dev.yaml');
  const withOverrides = (xr: JsonObject, overrides: JsonObject, extra: JsonObject = {}): JsonObject => ({ ...xr, metadata: { ...(xr.metadata as JsonObject), uid: 'u' }, spec: { ...(xr.spec as JsonObject), ...extra, overrides } });
  const team = (over: JsonObject) => ({ name: 'forge', principalArn: 'arn:aws:iam::333333333333:role/forge-developers', repositories: [{ name: 'forge', url: 'https://github.com/input-output-hk/catalyst-forge.git' }], namespaces: ['forge-api'], ...over });
  const app = (over: JsonObject) => ({ name: 'api', repository: 'forge', path: 'deploy/dev', namespace: 'forge-api', ...over });
  const cases: Array<{ reason: string; xr: JsonObject; want: string }> = [
    { reason: 'developer edit in production', xr: withOverrides(prod, { access: { developers: { level: 'edit' } } }), want: 'data.access.developers.level: cannot be edit in a production environment' },
    { reason: 'one team with edit in production', xr: withOverrides(prod, { access: { teams: [team({ level: 'edit' })] } }), want: 'data.access.teams[0].level: team forge cannot have edit in a production environment' },
    { reason: 'standing operator admin in production', xr: withOverrides(prod, { access: { operators: { level: 'admin' } } }), want: 'data.access.operators.level: cannot be admin in a production environment' },
    {
      reason: 'adminPrincipalArns in production',
      xr: withOverrides(prod, {}, { kubernetes: { adminPrincipalArns: ['arn:aws:iam::333333333333:role/platform-admins'] } }),
      want: 'spec.kubernetes.adminPrincipalArns: cannot grant standing cluster-admin in a production environment',
    },
    { reason: 'a team owning a platform namespace', xr: withOverrides(dev, { access: { teams: [team({ namespaces: ['kube-system'] })] } }), want: 'data.access.teams[0].namespaces[0]: "kube-system" is a platform namespace' },
    { reason: 'a namespace not named after a team repository', xr: withOverrides(dev, { access: { teams: [team({ namespaces: ['voting-api'] })] } }), want: 'data.access.teams[0].namespaces[0]: "voting-api" is not <repository>-<project> for a repository of team forge' },
    {
      reason: 'two teams owning one namespace',
      xr: withOverrides(dev, { access: { teams: [team({}), team({ name: 'other', principalArn: 'arn:aws:iam::111111111111:role/other' })] } }),
      want: 'data.access.teams[1].namespaces[0]: "forge-api" is already owned by team forge',
    },
    { reason: 'a team without a role on AWS', xr: withOverrides(dev, { access: { teams: [team({ principalArn: undefined })] } }), want: 'data.access.teams[0].principalArn: required on AWS for team forge (level edit)' },
    {
      reason: 'the same role as a team and an operator',
      xr: withOverrides(dev, { access: { operators: { principalArns: ['arn:aws:iam::111111111111:role/forge-developers'] } } }),
      want: 'data.access.operators.principalArns: cannot name arn:aws:iam::111111111111:role/forge-developers again (already in data.access.teams[0].principalArn)',
    },
    { reason: 'an IAM user instead of a role', xr: withOverrides(dev, { access: { operators: { principalArns: ['arn:aws:iam::111111111111:user/alice'] } } }), want: 'must be an IAM role ARN' },
    { reason: 'break-glass on without a principal', xr: withOverrides(dev, { access: { breakGlass: { enabled: true } } }), want: 'data.access.breakGlass.principalArn: required when breakGlass.enabled' },
    {
      reason: 'an application from a repository the team does not list',
      xr: withOverrides(dev, { access: { teams: [team({ applications: [app({ repository: 'voting' })] })] } }),
      want: 'data.access.teams[0].applications[0].repository: "voting" is not a repository of team forge (forge); add it to repositories or use one of those',
    },
    {
      reason: "an application into a namespace that is not the team's",
      xr: withOverrides(dev, { access: { teams: [team({ applications: [app({ namespace: 'forge-worker' })] })] } }),
      want: 'data.access.teams[0].applications[0].namespace: "forge-worker" is not a namespace of team forge (forge-api); add it to namespaces or use one of those',
    },
    {
      reason: 'an application listed twice in a team',
      xr: withOverrides(dev, { access: { teams: [team({ applications: [app({}), app({ path: 'deploy/other' })] })] } }),
      want: 'data.access.teams[0].applications[1].name: "api" is listed twice for team forge; name each application once',
    },
    {
      reason: 'two teams whose <team>-<application> names collide',
      xr: withOverrides(dev, {
        access: {
          teams: [
            team({ applications: [app({ name: 'api-x' })] }),
            { name: 'forge-api', principalArn: 'arn:aws:iam::111111111111:role/other', repositories: [{ name: 'fa', url: 'https://github.com/example/fa.git' }], namespaces: ['fa-x'], applications: [app({ name: 'x', repository: 'fa', namespace: 'fa-x' })] },
          ],
        },
      }),
      want: 'data.access.teams[1].applications[0].name: "x" makes Application forge-api-x, which team forge already has; rename one of them',
    },
    { reason: 'an application name that is not a DNS label', xr: withOverrides(dev, { access: { teams: [team({ applications: [app({ name: 'Forge_API' })] })] } }), want: 'data.access.teams[0].applications[0].name: must be a DNS label' },
    {
      reason: 'an Application name over 63 characters',
      xr: withOverrides(dev, { access: { teams: [team({ name: 't'.repeat(30), applications: [app({ name: 'a'.repeat(40) })] })] } }),
      want: `data.access.teams[0].applications[0].name: "${'a'.repeat(40)}" makes Application ${'t'.repeat(30)}-${'a'.repeat(40)}, longer than 63 characters; shorten the application (or team) name`,
    },
    { reason: 'a path leaving the repository', xr: withOverrides(dev, { access: { teams: [team({ applications: [app({ path: 'deploy/../../etc' })] })] } }), want: 'data.access.teams[0].applications[0].path: must not contain ..' },
    { reason: 'an absolute path', xr: withOverrides(dev, { access: { teams: [team({ applications: [app({ path: '/deploy/dev' })] })] } }), want: 'data.access.teams[0].applications[0].path: must be a relative path inside the repository' },
  ];
  for (const tc of cases) {
    it(`${tc.reason} is a Fatal naming the field`, () => {
      const { response } = runFunction(request(tc.xr, { required: environmentRequired() }), { ttlSeconds: 60 });
      expect(response.results.map((r) => r.message).join('\n')).toContain(tc.want);
    });
  }
});
