import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleRenders } from '../scripts/lib/examples.js';
import { lua51Problems, runHealthScript, type HealthStatus } from '../scripts/lib/lua-health.js';
import { renderInProcess } from '../scripts/lib/in-process.js';
import { listFiles, parseManifests } from '../scripts/lib/schema-validator.js';
import { REPO_ROOT, defaultValidator, validateManifests } from '../scripts/lib/validation.js';
import { DEFAULT_REPOSITORY_PREFIX, packageVersion } from '../scripts/lib/xpkg.js';
import { admissionProblems, apiScopes, destinationPermitted, IN_CLUSTER, sourcePermitted, type AppProjectSpec } from './helpers/argocd-admission.js';
import { readManifest } from './helpers/requests.js';
import { settleEnvironment } from './helpers/settle.js';
import { PLATFORM_PACKAGE } from '../functions/platform/src/release.js';

type JsonObject = Record<string, unknown>;
interface Meta {
  name: string;
  namespace?: string;
  annotations?: Record<string, string>;
  finalizers?: string[];
  generation?: number;
}

// The placeholder a user replaces with the repository they own (docs/argocd.md); marked in every file that names it.
const PLATFORM_REPO = 'https://git.example.com/platform/platform-config.git';
const PLACEHOLDER = /#\s*placeholder:\s*\S/;

function read(dir: string): Array<{ file: string; manifests: JsonObject[] }> {
  return listFiles(join(REPO_ROOT, dir), ['.yaml', '.yml']).map((file) => ({ file, manifests: parseManifests(readFileSync(file, 'utf8'), file) }));
}
const all = (dir: string) => read(dir).flatMap((s) => s.manifests);
const meta = (m: JsonObject) => m.metadata as Meta;
const ofKind = (manifests: JsonObject[], kind: string) => manifests.filter((m) => m.kind === kind);

const configMap = parseManifests(readFileSync(join(REPO_ROOT, 'argocd/argocd-cm.yaml'), 'utf8'), 'argocd-cm.yaml')[0] as { data: Record<string, string> };
const customizations = parse(configMap.data['resource.customizations'] ?? '') as Record<string, { 'health.lua': string }>;
const script = (key: string) => {
  const lua = customizations[key]?.['health.lua'];
  if (lua === undefined) throw new Error(`argocd-cm has no health.lua for ${key}`);
  return lua;
};

describe('Argo CD manifests', () => {
  it('validate against the Argo CD CRDs, the Kubernetes schemas, Crossplane and the XRDs', () => {
    const report = validateManifests(defaultValidator(), read('argocd'), { errorOnMissingSchemas: true });
    expect(report.lines).toEqual([]);
    expect(report.valid).toBeGreaterThanOrEqual(10);
  });

  it('argocd-cm tracks by annotation and excludes ProviderConfigUsages in every group', () => {
    expect(configMap.data['application.resourceTrackingMethod']).toBe('annotation');
    const exclusions = parse(configMap.data['resource.exclusions'] ?? '') as Array<{ apiGroups: string[]; kinds: string[]; clusters: string[] }>;
    expect(exclusions).toContainEqual({ apiGroups: ['*'], kinds: ['ProviderConfigUsage', 'ClusterProviderConfigUsage'], clusters: ['*'] });
    expect(Object.keys(customizations).sort()).toEqual(['argoproj.io/Application', 'pkg.crossplane.io/Configuration', 'platform.projectcatalyst.io/*']);
  });

  it('health scripts keep to Lua 5.1, which Argo CD runs', () => {
    for (const key of Object.keys(customizations)) expect(lua51Problems(script(key)), key).toEqual([]);
  });
});

describe('platform repository example (argocd/platform)', () => {
  const manifests = all('argocd/platform');
  const apps = ofKind(manifests, 'Application');
  const projects = ofKind(manifests, 'AppProject').map((p) => meta(p).name);
  const wave = (name: string) => Number(meta(apps.find((a) => meta(a).name === name) ?? {}).annotations?.['argocd.argoproj.io/sync-wave']);

  it('orders its Applications: package, then EnvironmentConfigs, then the Hub, then Environments', () => {
    const order = ['crossplane-package', 'environment-configs', 'hub', 'environments'].map(wave);
    expect(order.every(Number.isInteger)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });

  it('uses only projects it defines, and paths that exist', () => {
    for (const app of apps) {
      const spec = app.spec as { project: string; source: { repoURL: string; path: string; targetRevision: string } };
      expect(projects, meta(app).name).toContain(spec.project);
      // The platform repository holds copies of argocd/ and environment-configs/ (which must exist
      // here to be copied) and the user's own hub/ and environments/.
      if (spec.source.path.startsWith('argocd/') || spec.source.path === 'environment-configs') {
        expect(existsSync(join(REPO_ROOT, spec.source.path)), `${meta(app).name}: ${spec.source.path}`).toBe(true);
      } else {
        expect(['hub', 'environments'], meta(app).name).toContain(spec.source.path);
      }
    }
  });

  it('syncs only from the platform repository, a placeholder marked for the user to replace with the repository they own', () => {
    const repoUrls = apps.map((a) => (a.spec as { source: { repoURL: string } }).source.repoURL);
    expect(new Set(repoUrls)).toEqual(new Set([PLATFORM_REPO]));
    const project = ofKind(manifests, 'AppProject').find((p) => meta(p).name === 'platform');
    expect((project?.spec as { sourceRepos: string[] }).sourceRepos).toEqual([PLATFORM_REPO]);
    // Every line that names a repository the user must replace says so (`# placeholder:`).
    const files = [...listFiles(join(REPO_ROOT, 'argocd/platform'), ['.yaml']), ...listFiles(join(REPO_ROOT, 'argocd/project'), ['.yaml'])];
    const lines = files.flatMap((file) => readFileSync(file, 'utf8').split('\n').map((line) => ({ file, line })));
    const named = lines.filter(({ line }) => /https?:\/\/(git\.|github\.com\/)/.test(line) && !line.trimStart().startsWith('#'));
    // The AppProject's sourceRepos, root.yaml and the four apps; the project example names no repository (the config does).
    expect(named.length).toBeGreaterThanOrEqual(6);
    for (const { file, line } of named) expect(line, file).toMatch(PLACEHOLDER);
    // The platform repository is always the user's own. (A team's repository is named in
    // environment-configs, checked with the composed Applications below.)
    expect(lines.filter(({ file, line }) => file.includes('/argocd/platform/') && line.includes('github.com/input-output-hk/'))).toEqual([]);
  });

  it('takes the package from the same release as this repository', () => {
    const configs = apps.find((a) => meta(a).name === 'environment-configs')?.spec as { source: { repoURL: string; path: string } };
    expect(configs.source).toMatchObject({ repoURL: PLATFORM_REPO, path: 'environment-configs' });
    const [configuration] = ofKind(manifests, 'Configuration');
    expect((configuration?.spec as { package: string }).package).toBe(`${DEFAULT_REPOSITORY_PREFIX}/platform:${packageVersion()}`);
    expect((configuration?.spec as { package: string }).package).toBe(PLATFORM_PACKAGE);
  });

  it('never prunes or cascades deletes of infrastructure', () => {
    for (const name of ['crossplane-package', 'environment-configs', 'hub', 'environments']) {
      const app = apps.find((a) => meta(a).name === name) as JsonObject;
      expect((app.spec as { syncPolicy: { automated: { prune: boolean } } }).syncPolicy.automated.prune, name).toBe(false);
      expect(meta(app).finalizers ?? [], name).toEqual([]);
    }
  });
});

describe('project repository example (argocd/project)', () => {
  const manifests = all('argocd/project');

  it('syncs platform kinds before the workloads that use them', () => {
    const deployed = manifests.filter((m) => meta(m).namespace === 'forge-api');
    const waveOf = (m: JsonObject) => Number(meta(m).annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    const platformWaves = deployed.filter((m) => String(m.apiVersion).startsWith('platform.projectcatalyst.io/') && m.kind !== 'Network').map(waveOf);
    const workloadWaves = ofKind(deployed, 'Deployment').map(waveOf);
    expect(platformWaves.length).toBeGreaterThan(0);
    expect(Math.max(...platformWaves)).toBeLessThan(Math.min(...workloadWaves));
    // A Network routes to a Service: not before it.
    const serviceWave = Math.max(...ofKind(deployed, 'Service').map(waveOf));
    for (const network of ofKind(deployed, 'Network')) expect(waveOf(network)).toBeGreaterThanOrEqual(serviceWave);
  });

  it('never prunes what holds data', () => {
    for (const kind of ['Storage', 'Database']) {
      const found = ofKind(manifests, kind);
      expect(found.length, kind).toBeGreaterThan(0);
      for (const m of found) expect(meta(m).annotations?.['argocd.argoproj.io/sync-options'], kind).toBe('Prune=false');
    }
  });
});

describe("teams' Applications, composed by every example Environment, against the AppProjects it composes", () => {
  const projectDir = 'argocd/project';
  // The example of a team's repository holds deploy/dev only; it stands for every environment's
  // directory, which differ in values (sizes, image tags), not in kinds or namespaces.
  const REPOSITORY_EXAMPLE = join(projectDir, 'deploy/dev');
  interface Composed {
    projects: Map<string, AppProjectSpec>;
    applications: JsonObject[];
    namespaces: JsonObject[];
  }
  const environments = new Map<string, Composed>();
  let namespaced: (apiVersion: string, kind: string) => boolean = () => true;

  beforeAll(() => {
    // Each example Environment at its fixpoint: what the team-access add-on hands provider-kubernetes.
    for (const file of listFiles(join(REPO_ROOT, 'examples/environment'), ['.yaml'])) {
      const { resources } = settleEnvironment(readManifest(file.slice(REPO_ROOT.length + 1)));
      const inCluster = Object.values(resources)
        .filter((r) => r.kind === 'Object' && String(r.apiVersion).startsWith('kubernetes.m.crossplane.io/'))
        .map((r) => ((r.spec as JsonObject).forProvider as { manifest: JsonObject }).manifest);
      environments.set(file.slice(file.lastIndexOf('/') + 1, -'.yaml'.length), {
        projects: new Map(ofKind(inCluster, 'AppProject').map((p) => [meta(p).name, p.spec as AppProjectSpec])),
        applications: ofKind(inCluster, 'Application'),
        namespaces: ofKind(inCluster, 'Namespace'),
      });
    }
    namespaced = apiScopes(REPO_ROOT);
  });

  const specOf = (app: JsonObject) => app.spec as { project: string; source: { repoURL: string; path: string; targetRevision: string }; destination: { namespace: string }; syncPolicy: JsonObject };
  const composedIn = (environment: string): Composed => {
    const found = environments.get(environment);
    if (found === undefined) throw new Error(`examples/environment/${environment}.yaml was not rendered`);
    return found;
  };
  const forgeApp = (environment = 'dev') => {
    const app = composedIn(environment).applications.find((a) => meta(a).name === 'forge-forge-api');
    if (app === undefined) throw new Error(`${environment}: the Environment composes no Application forge-forge-api`);
    return app;
  };

  it('argocd/project ships neither AppProject nor Application: the Environment composes both from data.access.teams', () => {
    expect(ofKind(all(projectDir), 'AppProject')).toEqual([]);
    expect(ofKind(all(projectDir), 'Application')).toEqual([]);
    expect([...composedIn('dev').projects.keys()].sort()).toEqual(['team-forge', 'team-voting']);
  });

  it("the forge team's forge-api is deployed in dev, staging and prod from deploy/<environment>, into forge-api, synced automatically", () => {
    const paths = ['dev', 'staging', 'prod', 'prod-standalone'].map((env) => specOf(forgeApp(env)).source.path);
    expect(paths).toEqual(['deploy/dev', 'deploy/staging', 'deploy/prod', 'deploy/prod']);
    for (const env of ['dev', 'prod']) {
      const app = forgeApp(env);
      expect(meta(app)).toMatchObject({ name: 'forge-forge-api', namespace: 'argocd' });
      // No resources finalizer: removing the config entry must not cascade a delete of the workloads and their data.
      expect(meta(app).finalizers, env).toBeUndefined();
      expect(specOf(app)).toMatchObject({ project: 'team-forge', source: { targetRevision: 'HEAD' }, destination: { server: IN_CLUSTER.server, namespace: 'forge-api' } });
      expect(specOf(app).syncPolicy).toMatchObject({ automated: { prune: true, selfHeal: true }, retry: { limit: 5 } });
    }
  });

  it('every composed Application validates against the Argo CD Application CRD', () => {
    const composed = [...environments].map(([environment, { applications }]) => ({ file: `examples/environment/${environment}.yaml`, manifests: applications }));
    const report = validateManifests(defaultValidator(), composed, { errorOnMissingSchemas: true });
    expect(report.lines).toEqual([]);
    expect(report.valid).toBeGreaterThanOrEqual(4);
  });

  it('every composed Application of every example Environment is admitted by the AppProject it names: project, repository, destination, and every resource it syncs', () => {
    const synced = all(REPOSITORY_EXAMPLE);
    expect(synced.length).toBeGreaterThan(0);
    let checked = 0;
    for (const [environment, { applications, projects }] of environments) {
      for (const app of applications) {
        expect(admissionProblems(app, synced, projects, namespaced), `${environment}: ${meta(app).name}`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it("confines the team to its namespaces, with the project kinds and no cluster-scoped kinds or claims of its own", () => {
    const forge = composedIn('dev').projects.get(specOf(forgeApp()).project);
    expect(forge?.destinations?.map((d) => d.namespace)).toEqual(['forge-api', 'forge-worker']);
    expect(forge?.clusterResourceWhitelist).toEqual([]);
    const whitelist = forge?.namespaceResourceWhitelist ?? [];
    expect(whitelist.filter((r) => r.group === 'platform.projectcatalyst.io').map((r) => r.kind).sort()).toEqual(['Database', 'Network', 'Storage']);
    expect(whitelist.filter((r) => r.kind.includes('*') || r.group.includes('*') || r.kind === 'PersistentVolumeClaim')).toEqual([]);
  });

  it("every config names the team's repository on a line marked as a placeholder", () => {
    const repoURL = specOf(forgeApp()).source.repoURL;
    for (const file of listFiles(join(REPO_ROOT, 'environment-configs'), ['.yaml'])) {
      const teams = ((parseManifests(readFileSync(file, 'utf8'), file)[0]?.data as { access?: { teams?: Array<{ name: string; repositories: Array<{ url: string }> }> } } | undefined)?.access?.teams) ?? [];
      const forge = teams.find((t) => t.name === 'forge');
      if (forge === undefined) continue;
      expect(forge.repositories.map((r) => r.url), file).toContain(repoURL);
      const line = readFileSync(file, 'utf8').split('\n').find((l) => l.includes(`"${repoURL}"`));
      expect(line, file).toMatch(PLACEHOLDER);
    }
  });

  it('examples/project/namespace.yaml is the namespace the Environment composes for the destination', () => {
    const example = readManifest('examples/project/namespace.yaml');
    expect(meta(example).name).toBe(specOf(forgeApp()).destination.namespace);
    expect(composedIn('dev').namespaces.find((n) => meta(n).name === meta(example).name)).toEqual(example);
  });

  const voting = 'https://github.com/input-output-hk/catalyst-voting.git';
  const workload = (namespace: string, kind = 'Deployment', apiVersion = 'apps/v1'): JsonObject => ({ apiVersion, kind, metadata: { name: 'extra', ...(namespace !== '' ? { namespace } : {}) } });
  const cases: Array<{ reason: string; spec?: JsonObject; metadata?: JsonObject; extra?: JsonObject[]; want: string[] }> = [
    {
      reason: "refused: an Application into another team's namespace",
      spec: { destination: { server: 'https://kubernetes.default.svc', namespace: 'voting-api' } },
      want: ['Application forge-forge-api: destination namespace voting-api is not a destination of team-forge'],
    },
    {
      reason: "refused: another team's repository",
      spec: { source: { repoURL: voting, targetRevision: 'HEAD', path: 'deploy/dev' } },
      want: [`Application forge-forge-api: repository ${voting} is not in sourceRepos of team-forge`],
    },
    {
      reason: "refused: a repository whose name only starts like the team's (sourceRepos are exact, not prefixes)",
      spec: { source: { repoURL: 'https://github.com/input-output-hk/catalyst-forge-fork.git', targetRevision: 'HEAD', path: 'deploy/dev' } },
      want: ['Application forge-forge-api: repository https://github.com/input-output-hk/catalyst-forge-fork.git is not in sourceRepos of team-forge'],
    },
    {
      reason: 'refused: the hand-written project earlier releases shipped',
      spec: { project: 'forge-api' },
      want: ['Application forge-forge-api: no AppProject forge-api'],
    },
    {
      reason: 'refused: an Application outside the argocd namespace (the project lists no sourceNamespaces)',
      metadata: { name: 'forge-forge-api', namespace: 'forge-api' },
      want: ['Application forge-forge-api: lives in namespace forge-api, not argocd or a sourceNamespace of team-forge'],
    },
    {
      reason: "refused: a manifest in the repository that names another team's namespace",
      extra: [workload('voting-api')],
      want: ['Application forge-forge-api: Deployment voting-api/extra: namespace voting-api is not a destination of team-forge'],
    },
    {
      reason: 'refused: a Role (the team would grant itself rights)',
      extra: [workload('forge-api', 'Role', 'rbac.authorization.k8s.io/v1')],
      want: ['Application forge-forge-api: Role forge-api/extra: kind rbac.authorization.k8s.io/Role is not allowed by team-forge'],
    },
    {
      reason: 'refused: a PersistentVolumeClaim of its own (Storage makes them)',
      extra: [workload('forge-api', 'PersistentVolumeClaim', 'v1')],
      want: ['Application forge-forge-api: PersistentVolumeClaim forge-api/extra: kind core/PersistentVolumeClaim is not allowed by team-forge'],
    },
    {
      reason: 'refused: a cluster-scoped kind',
      extra: [workload('', 'Namespace', 'v1')],
      want: ['Application forge-forge-api: Namespace extra: kind core/Namespace is not allowed by team-forge'],
    },
    {
      reason: 'admitted: the same repository spelled differently (Argo CD lower-cases and drops .git)',
      spec: { source: { repoURL: 'https://GitHub.com/input-output-hk/Catalyst-Forge', targetRevision: 'HEAD', path: 'deploy/dev' } },
      want: [],
    },
    {
      reason: "admitted: the cluster by name instead of server, into the team's other namespace (resources without a namespace go there)",
      spec: { destination: { name: 'in-cluster', namespace: 'forge-worker' } },
      extra: [workload('')],
      want: [],
    },
  ];
  for (const tc of cases) {
    it(tc.reason, () => {
      const app = forgeApp();
      const changed = { ...app, metadata: tc.metadata ?? app.metadata, spec: { ...(app.spec as JsonObject), ...tc.spec } };
      expect(admissionProblems(changed, [...all(REPOSITORY_EXAMPLE), ...(tc.extra ?? [])], composedIn('dev').projects, namespaced)).toEqual(tc.want);
    });
  }
});

describe('AppProject matching as Argo CD does it (the rules the check above applies)', () => {
  const repoCases: Array<{ reason: string; sourceRepos: string[]; repo: string; want: boolean }> = [
    { reason: 'a URL matches itself, whatever the case and with or without .git', sourceRepos: ['https://github.com/acme/api.git'], repo: 'https://GitHub.com/acme/API', want: true },
    { reason: '* stays inside one path segment', sourceRepos: ['https://github.com/acme/*'], repo: 'https://github.com/acme/api/sub.git', want: false },
    { reason: '* matches a whole segment', sourceRepos: ['https://github.com/acme/*'], repo: 'https://github.com/acme/api.git', want: true },
    { reason: '** crosses segments', sourceRepos: ['https://github.com/acme/**'], repo: 'https://github.com/acme/group/api.git', want: true },
    { reason: 'a ! pattern that matches refuses, whatever else matches', sourceRepos: ['*', '!https://github.com/acme/secret.git'], repo: 'https://github.com/acme/secret.git', want: false },
    { reason: 'a ! pattern alone admits nothing else by itself', sourceRepos: ['!https://github.com/acme/secret.git'], repo: 'https://github.com/acme/api.git', want: true },
    { reason: 'scp-style SSH is compared as ssh', sourceRepos: ['git@github.com:acme/api.git'], repo: 'ssh://git@github.com/acme/api', want: true },
  ];
  for (const tc of repoCases) {
    it(`sourceRepos: ${tc.reason}`, () => {
      expect(sourcePermitted({ sourceRepos: tc.sourceRepos }, tc.repo)).toBe(tc.want);
    });
  }

  const destinationCases: Array<{ reason: string; destinations: AppProjectSpec['destinations']; namespace: string; want: boolean }> = [
    { reason: 'an exact namespace on the in-cluster server', destinations: [{ server: IN_CLUSTER.server, namespace: 'forge-api' }], namespace: 'forge-api', want: true },
    { reason: 'another namespace', destinations: [{ server: IN_CLUSTER.server, namespace: 'forge-api' }], namespace: 'forge-worker', want: false },
    { reason: 'a namespace glob', destinations: [{ server: IN_CLUSTER.server, namespace: 'forge-*' }], namespace: 'forge-worker', want: true },
    { reason: 'the cluster by name', destinations: [{ name: 'in-cluster', namespace: 'forge-api' }], namespace: 'forge-api', want: true },
    { reason: 'a denied namespace wins over a wildcard', destinations: [{ server: '*', namespace: '*' }, { server: '*', namespace: '!kube-system' }], namespace: 'kube-system', want: false },
    { reason: 'another server', destinations: [{ server: 'https://other.example.com', namespace: '*' }], namespace: 'forge-api', want: false },
  ];
  for (const tc of destinationCases) {
    it(`destinations: ${tc.reason}`, () => {
      expect(destinationPermitted({ destinations: tc.destinations }, IN_CLUSTER, tc.namespace)).toBe(tc.want);
    });
  }
});

describe('health check: platform.projectcatalyst.io/* (runs the Lua)', () => {
  let xr: JsonObject;
  beforeAll(async () => {
    // A real XR as the function renders it, then given the conditions Crossplane sets.
    const example = exampleRenders().find((e) => e.file === 'examples/storage/fast.yaml');
    if (example === undefined) throw new Error('examples/storage/fast.yaml is missing');
    const manifests = renderInProcess(example.input.xr, example.input.requiredResources);
    xr = manifests[0] as JsonObject;
  });

  const condition = (type: string, status: string, reason: string, extra: JsonObject = {}) => ({ type, status, reason, lastTransitionTime: '2024-01-01T00:00:00Z', ...extra });
  const withConditions = (conditions: JsonObject[] | undefined, metadata: JsonObject = {}): JsonObject => {
    const status = { ...((xr.status ?? {}) as JsonObject) };
    if (conditions === undefined) delete status.conditions;
    else status.conditions = conditions;
    return { ...xr, metadata: { ...(xr.metadata as JsonObject), generation: 3, ...metadata }, status };
  };

  const cases: Array<{ reason: string; object: () => JsonObject; want: HealthStatus }> = [
    {
      reason: 'Synced and Ready: healthy',
      object: () => withConditions([condition('Synced', 'True', 'ReconcileSuccess', { observedGeneration: 3 }), condition('Ready', 'True', 'Available')]),
      want: { status: 'Healthy', message: '' },
    },
    {
      reason: 'no status yet: progressing',
      object: () => ({ ...xr, status: undefined }),
      want: { status: 'Progressing', message: 'Waiting for Crossplane to reconcile' },
    },
    {
      reason: 'Synced, composed resources not ready: progressing with what is missing',
      object: () => withConditions([condition('Synced', 'True', 'ReconcileSuccess'), condition('Ready', 'False', 'Creating', { message: 'Unready resources: claim' })]),
      want: { status: 'Progressing', message: 'Ready=False (Creating): Unready resources: claim' },
    },
    {
      reason: 'Ready but not Synced yet (only Ready reported): progressing, Ready alone is not enough',
      object: () => withConditions([condition('Ready', 'True', 'Available')]),
      want: { status: 'Progressing', message: 'Ready=True (Available)' },
    },
    {
      reason: 'Ready but Synced=False (the function refused a change): degraded with the function message',
      object: () =>
        withConditions([
          condition('Synced', 'False', 'ReconcileError', { message: 'cannot compose Storage forge-api/fast: spec.size: must be a size such as 512Mi' }),
          condition('Ready', 'True', 'Available'),
        ]),
      want: { status: 'Degraded', message: 'Synced=False (ReconcileError): cannot compose Storage forge-api/fast: spec.size: must be a size such as 512Mi' },
    },
    {
      reason: 'Ready=False Unavailable (was running, now is not): degraded',
      object: () => withConditions([condition('Synced', 'True', 'ReconcileSuccess'), condition('Ready', 'False', 'Unavailable', { message: 'Unready resources: claim' })]),
      want: { status: 'Degraded', message: 'Ready=False (Unavailable): Unready resources: claim' },
    },
    {
      reason: 'conditions about an older generation: progressing until Crossplane catches up',
      object: () => withConditions([condition('Synced', 'True', 'ReconcileSuccess', { observedGeneration: 2 }), condition('Ready', 'True', 'Available')]),
      want: { status: 'Progressing', message: 'Crossplane has not reconciled generation 3 yet' },
    },
    {
      reason: 'paused by annotation: suspended',
      object: () => withConditions([condition('Synced', 'False', 'ReconcilePaused')], { annotations: { 'crossplane.io/paused': 'true' } }),
      want: { status: 'Suspended', message: 'Reconciliation is paused (crossplane.io/paused)' },
    },
    {
      reason: 'being deleted: progressing',
      object: () => withConditions([condition('Synced', 'True', 'ReconcileSuccess'), condition('Ready', 'True', 'Available')], { deletionTimestamp: '2024-01-01T00:00:00Z' }),
      want: { status: 'Progressing', message: 'Deleting: waiting for composed resources to be deleted' },
    },
  ];
  for (const tc of cases) {
    it(tc.reason, async () => {
      expect(await runHealthScript(script('platform.projectcatalyst.io/*'), tc.object())).toEqual(tc.want);
    });
  }
});

describe('health check: pkg.crossplane.io/Configuration and argoproj.io/Application (runs the Lua)', () => {
  const configuration = (conditions: JsonObject[] | undefined): JsonObject => ({
    apiVersion: 'pkg.crossplane.io/v1',
    kind: 'Configuration',
    metadata: { name: 'catalyst-forge-platform' },
    spec: { package: 'ghcr.io/input-output-hk/catalyst-forge/platform:v0.1.0' },
    ...(conditions !== undefined ? { status: { conditions } } : {}),
  });
  const application = (health: JsonObject | undefined): JsonObject => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'hub', namespace: 'argocd' },
    ...(health !== undefined ? { status: { health } } : {}),
  });

  const cases: Array<{ reason: string; key: string; object: JsonObject; want: HealthStatus }> = [
    {
      reason: 'Configuration installed and healthy: healthy',
      key: 'pkg.crossplane.io/Configuration',
      object: configuration([{ type: 'Installed', status: 'True', reason: 'ActivePackageRevision' }, { type: 'Healthy', status: 'True', reason: 'HealthyPackageRevision' }]),
      want: { status: 'Healthy', message: 'Installed and healthy' },
    },
    {
      reason: 'Configuration with dependencies still installing: progressing, never degraded',
      key: 'pkg.crossplane.io/Configuration',
      object: configuration([{ type: 'Installed', status: 'True', reason: 'ActivePackageRevision' }, { type: 'Healthy', status: 'False', reason: 'UnhealthyPackageRevision', message: 'dependencies not ready' }]),
      want: { status: 'Progressing', message: 'Healthy=False (UnhealthyPackageRevision): dependencies not ready' },
    },
    {
      reason: 'Configuration without status: progressing',
      key: 'pkg.crossplane.io/Configuration',
      object: configuration(undefined),
      want: { status: 'Progressing', message: 'Waiting for the package manager' },
    },
    {
      reason: 'Application reports its own health: healthy',
      key: 'argoproj.io/Application',
      object: application({ status: 'Healthy' }),
      want: { status: 'Healthy', message: '' },
    },
    {
      reason: 'Application degraded: degraded, with its message',
      key: 'argoproj.io/Application',
      object: application({ status: 'Degraded', message: 'Environment env-dev/dev: Synced=False' }),
      want: { status: 'Degraded', message: 'Environment env-dev/dev: Synced=False' },
    },
    {
      reason: 'Application never synced: progressing',
      key: 'argoproj.io/Application',
      object: application(undefined),
      want: { status: 'Progressing', message: '' },
    },
  ];
  for (const tc of cases) {
    it(tc.reason, async () => {
      expect(await runHealthScript(script(tc.key), tc.object)).toEqual(tc.want);
    });
  }
});

describe('Lua 5.1 check', () => {
  it('catches features gopher-lua does not have, and ignores them in comments and strings', () => {
    expect(lua51Problems('local a = 7 // 2')).toEqual(['integer division // (5.3)']);
    expect(lua51Problems('goto done')).toEqual(['goto and labels (5.2)']);
    expect(lua51Problems('local a = b & 1')).toEqual(['bitwise operators (5.3)']);
    expect(lua51Problems('-- a // b\nlocal s = "x // y"\nif a ~= b then end')).toEqual([]);
  });
});
