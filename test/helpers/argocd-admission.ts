/**
 * Whether Argo CD lets an Application sync what it names, decided the way
 * Argo CD 3.x decides it (pkg/apis/application/v1alpha1/app_project_types.go,
 * util/git NormalizeGitURL, util/glob): the project must exist; the
 * Application must live in Argo CD's namespace (or one of the project's
 * sourceNamespaces); its repoURL, normalised, must match a sourceRepos glob
 * (gobwas/glob, `/` a separator, `!` denies); its destination cluster and
 * namespace, and the namespace of every resource it syncs, must match a
 * destination; and every resource's group and kind must be on the project's
 * namespaced or cluster-scoped whitelist (filepath.Match) and off its
 * blacklist.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles, parseManifests } from '../../scripts/lib/schema-validator.js';

type JsonObject = Record<string, unknown>;

export interface GroupKind {
  group: string;
  kind: string;
  name?: string;
}

export interface AppProjectSpec {
  sourceRepos?: string[];
  sourceNamespaces?: string[];
  destinations?: Array<{ server?: string; name?: string; namespace?: string }>;
  clusterResourceWhitelist?: GroupKind[];
  clusterResourceBlacklist?: GroupKind[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
}

/** Argo CD's own cluster, known by both its server URL and its name. */
export const IN_CLUSTER = { server: 'https://kubernetes.default.svc', name: 'in-cluster' };

const escape = (c: string) => c.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');

/**
 * A gobwas/glob pattern as a RegExp: `*` any run of non-separators, `**` any
 * run, `?` one non-separator, `[...]` / `[!...]` classes, `{a,b}`
 * alternatives, `\` escapes.
 */
export function globRegExp(pattern: string, separators = ''): RegExp {
  const notSep = separators === '' ? '[\\s\\S]' : `[^${escape(separators)}]`;
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) out += escape(pattern[++i] as string);
    else if (c === '*' && pattern[i + 1] === '*') {
      out += '[\\s\\S]*';
      i++;
    } else if (c === '*') out += `${notSep}*`;
    else if (c === '?') out += notSep;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`glob ${pattern}: unclosed [`);
      const body = pattern.slice(i + 1, end);
      out += body.startsWith('!') ? `[^${body.slice(1).replace(/\\/g, '\\\\')}]` : `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{') {
      out += '(?:';
      depth++;
    } else if (c === '}' && depth > 0) {
      out += ')';
      depth--;
    } else if (c === ',' && depth > 0) out += '|';
    else out += escape(c);
  }
  if (depth > 0) throw new Error(`glob ${pattern}: unclosed {`);
  return new RegExp(`^${out}$`);
}

/** Argo CD's globMatch: a leading `!` inverts, `*` alone matches anything. */
function globMatch(pattern: string, value: string, allowNegation: boolean, separators = ''): boolean {
  if (allowNegation && pattern.startsWith('!')) return !globRegExp(pattern.slice(1), separators).test(value);
  if (pattern === '*') return true;
  return globRegExp(pattern, separators).test(value);
}

const isDeny = (pattern: string | undefined) => (pattern ?? '').startsWith('!');

/** Go's filepath.Match for group and kind names, which hold no `/`. */
function pathMatch(pattern: string, value: string): boolean {
  return globRegExp(pattern.replace(/[{},]/g, '\\$&'), '/').test(value);
}

/** Argo CD's NormalizeGitURL for the URLs it compares: lower case, trimmed, no `.git`; scp-style SSH as ssh URLs. */
export function normalizeGitUrl(url: string): string {
  let repo = url.trim().toLowerCase();
  if (/^(ssh:\/\/)?([^/:]*?)@[^@]+$/.test(repo) && !repo.startsWith('ssh://')) repo = `ssh://${repo.replace(':', '/')}`;
  repo = repo.replace(/\.git$/, '');
  return repo.replace(/^ssh:\/\//, '');
}

/** AppProject.IsSourcePermitted. */
export function sourcePermitted(project: AppProjectSpec, repoURL: string): boolean {
  const source = normalizeGitUrl(repoURL);
  let any = false;
  for (const repo of project.sourceRepos ?? []) {
    const pattern = isDeny(repo) ? `!${normalizeGitUrl(repo.slice(1))}` : normalizeGitUrl(repo);
    if (globMatch(pattern, source, true, '/')) any = true;
    else if (isDeny(pattern)) return false;
  }
  return any;
}

/** AppProject.isDestinationMatched, for a cluster known by server and name. */
export function destinationPermitted(project: AppProjectSpec, cluster: { server: string; name: string }, namespace: string): boolean {
  let any = false;
  for (const item of project.destinations ?? []) {
    const nameMatched = cluster.name !== '' && globMatch(item.name ?? '', cluster.name, true);
    const serverMatched = cluster.server !== '' && globMatch(item.server ?? '', cluster.server, true);
    const namespaceMatched = globMatch(item.namespace ?? '', namespace, true);
    if ((serverMatched || nameMatched) && namespaceMatched) any = true;
    else if ((!nameMatched && isDeny(item.name)) || (!serverMatched && isDeny(item.server) && namespaceMatched)) return false;
    else if (!namespaceMatched && isDeny(item.namespace) && serverMatched) return false;
  }
  return any;
}

const inList = (res: GroupKind, name: string, list: readonly GroupKind[]) =>
  list.some((item) => pathMatch(item.kind, res.kind) && pathMatch(item.group, res.group) && (item.name === undefined || item.name === '' || pathMatch(item.name, name)));

/** AppProject.IsGroupKindNamePermitted: no namespaced whitelist allows every namespaced kind, an empty one none; cluster-scoped kinds only when whitelisted. */
export function kindPermitted(project: AppProjectSpec, res: GroupKind, name: string, namespaced: boolean): boolean {
  const [white, black] = namespaced ? [project.namespaceResourceWhitelist, project.namespaceResourceBlacklist] : [project.clusterResourceWhitelist, project.clusterResourceBlacklist];
  const whitelisted = namespaced && white === undefined ? true : (white ?? []).length > 0 && inList(res, name, white ?? []);
  return whitelisted && !((black ?? []).length > 0 && inList(res, name, black ?? []));
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] as string) : '';
}

/**
 * Why Argo CD would refuse to sync `application` with the AppProjects it
 * knows (empty when it would not): `resources` are the manifests at the
 * Application's source path; `namespaced` says whether a kind is namespaced,
 * which Argo CD learns from the cluster's API discovery.
 */
export function admissionProblems(
  application: JsonObject,
  resources: readonly JsonObject[],
  projects: ReadonlyMap<string, AppProjectSpec>,
  namespaced: (apiVersion: string, kind: string) => boolean,
  argocdNamespace = 'argocd',
): string[] {
  const metadata = (application.metadata ?? {}) as { name?: string; namespace?: string };
  const spec = (application.spec ?? {}) as { project?: string; source?: { repoURL?: string }; destination?: { server?: string; name?: string; namespace?: string } };
  const app = `Application ${metadata.name ?? '?'}`;
  const projectName = spec.project === undefined || spec.project === '' ? 'default' : spec.project;
  const project = projects.get(projectName);
  if (project === undefined) return [`${app}: no AppProject ${projectName}`];
  const problems: string[] = [];
  const ns = metadata.namespace ?? '';
  if (ns !== '' && ns !== argocdNamespace && !(project.sourceNamespaces ?? []).some((p) => globRegExp(p).test(ns))) problems.push(`${app}: lives in namespace ${ns}, not ${argocdNamespace} or a sourceNamespace of ${projectName}`);
  const repoURL = spec.source?.repoURL ?? '';
  if (!sourcePermitted(project, repoURL)) problems.push(`${app}: repository ${repoURL} is not in sourceRepos of ${projectName}`);
  const dest = spec.destination ?? {};
  const cluster =
    dest.server === IN_CLUSTER.server || dest.name === IN_CLUSTER.name ? IN_CLUSTER : undefined;
  if (cluster === undefined) return [...problems, `${app}: destination cluster ${dest.server ?? dest.name ?? '(none)'} is not one Argo CD knows here`];
  const destNamespace = dest.namespace ?? '';
  if (!destinationPermitted(project, cluster, destNamespace)) problems.push(`${app}: destination namespace ${destNamespace} is not a destination of ${projectName}`);
  for (const resource of resources) {
    const apiVersion = String(resource.apiVersion ?? '');
    const kind = String(resource.kind ?? '');
    const meta = (resource.metadata ?? {}) as { name?: string; namespace?: string };
    const isNamespaced = namespaced(apiVersion, kind);
    const what = `${kind} ${meta.namespace !== undefined ? `${meta.namespace}/` : ''}${meta.name ?? '?'}`;
    if (!kindPermitted(project, { group: groupOf(apiVersion), kind }, meta.name ?? '', isNamespaced)) {
      problems.push(`${app}: ${what}: kind ${groupOf(apiVersion) || 'core'}/${kind} is not allowed by ${projectName}`);
    }
    // A namespaced resource without a namespace goes to the Application's destination namespace.
    const target = meta.namespace ?? destNamespace;
    if (isNamespaced && target !== destNamespace && !destinationPermitted(project, cluster, target)) {
      problems.push(`${app}: ${what}: namespace ${target} is not a destination of ${projectName}`);
    }
  }
  return problems;
}

/**
 * Whether each group/kind is namespaced, from the API definitions the
 * repository validates against, as Argo CD learns it from API discovery:
 * built-in kinds from the Kubernetes OpenAPI documents (a kind served under
 * `/namespaces/{namespace}/` is namespaced), custom kinds from their CRDs'
 * and XRDs' `spec.scope`.
 */
export function apiScopes(root: string): (apiVersion: string, kind: string) => boolean {
  const scopes = new Map<string, boolean>();
  const key = (group: string, kind: string) => `${group}/${kind}`;
  for (const file of listFiles(join(root, 'schemas/kubernetes'), ['.json'])) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { paths?: Record<string, Record<string, { 'x-kubernetes-group-version-kind'?: { group: string; kind: string } }>> };
    for (const [path, operations] of Object.entries(doc.paths ?? {})) {
      for (const operation of Object.values(operations)) {
        const gvk = typeof operation === 'object' && operation !== null ? operation['x-kubernetes-group-version-kind'] : undefined;
        if (gvk === undefined) continue;
        const k = key(gvk.group, gvk.kind);
        scopes.set(k, (scopes.get(k) ?? false) || path.includes('/namespaces/{namespace}/'));
      }
    }
  }
  const definitions = [...listFiles(join(root, 'schemas'), ['.yaml', '.yml']).filter((f) => !f.includes('/charts/')), ...listFiles(join(root, 'xrds'), ['.yaml', '.yml'])];
  for (const file of definitions) {
    for (const doc of parseManifests(readFileSync(file, 'utf8'), file)) {
      if (doc.kind !== 'CustomResourceDefinition' && doc.kind !== 'CompositeResourceDefinition') continue;
      const spec = doc.spec as { group: string; names: { kind: string }; scope?: string };
      // Crossplane v2 XRDs are namespaced unless they say otherwise; CRDs always say.
      scopes.set(key(spec.group, spec.names.kind), (spec.scope ?? 'Namespaced') === 'Namespaced');
    }
  }
  return (apiVersion, kind) => {
    const namespaced = scopes.get(key(groupOf(apiVersion), kind));
    if (namespaced === undefined) throw new Error(`no API definition for ${apiVersion} ${kind}: cannot tell its scope`);
    return namespaced;
  };
}
