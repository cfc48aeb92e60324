/**
 * Isolation of projects on the environment cluster's ClusterSecretStore
 * `platform-secrets`: Database keys per namespace, the admission policies that
 * keep each namespace to its own keys, and the store's namespace conditions.
 *
 * The policies are asserted exactly as rendered and validated against the real
 * schemas; what they must admit and refuse (test/samples/secret-isolation.ts)
 * is decided by the API server's own ValidatingAdmissionPolicy evaluator
 * (scripts/crossplane-tools/admission-check), not by a CEL of ours.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runFunction } from '../functions/platform/src/run-function.js';
import { PROJECT_NAMESPACE_LABEL } from '../functions/platform/src/kinds/environment/addons/envoy-gateway.js';
import { PLATFORM_SECRET_NAMESPACES, PLATFORM_SECRET_STORE } from '../functions/platform/src/kinds/environment/addons/external-secrets.js';
import { resourceValidate, scratchDir, TOOLS_DIR, toolsBuilt, validationExtensions } from '../scripts/lib/crossplane-cli.js';
import { toYaml } from '../scripts/lib/generated.js';
import { defaultValidator, validateManifests } from '../scripts/lib/validation.js';
import { databaseXr } from './helpers/project-xrs.js';
import { request, withPlatformEnvironment, type JsonObject } from './helpers/requests.js';
import { forProvider, manifestOf, settledExample } from './helpers/settled-checks.js';
import type { Resources } from './helpers/settle.js';
import { ISOLATION_CASES } from './samples/secret-isolation.js';

const dev = settledExample('dev');
const onprem = settledExample('onprem');

const KINDS = ['externalsecrets', 'pushsecrets', 'secretstores'] as const;
const isolationObjects = (r: Resources) => KINDS.flatMap((k) => [manifestOf(r, `object-external-secrets-policy-${k}`), manifestOf(r, `object-external-secrets-policy-binding-${k}`)]);

/** The store reference tests, as rendered (`ref` is the CEL expression of a reference). */
const byName = (ref: string) => `(has(${ref}.name) && ${ref}.name == 'platform-secrets')`;
const reaches = (ref: string) => `(has(${ref}.kind) && ${ref}.kind == 'ClusterSecretStore' && ${byName(ref)})`;
/** PushSecret references may also select stores by label, which could select platform-secrets. */
const reachesBySelector = (ref: string) => `(has(${ref}.kind) && ${ref}.kind == 'ClusterSecretStore' && (${byName(ref)} || has(${ref}.labelSelector)))`;
const entry = (item: string) =>
  `(has(${item}.sourceRef) && has(${item}.sourceRef.storeRef) ? ${reaches(`${item}.sourceRef.storeRef`)} : !(has(${item}.sourceRef) && has(${item}.sourceRef.generatorRef)) && variables.defaultStoreIsPlatform)`;
const own = (key: string) => `(${key}.startsWith(variables.ownPrefix) && !${key}.contains('..'))`;

function policy(resource: string, variables: JsonObject[], validations: JsonObject[]): JsonObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: `platform-secrets-${resource}` },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: ['external-secrets.io'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: [resource] }] },
      ...(variables.length > 0 ? { variables } : {}),
      validations: validations.map((v) => ({ ...v, reason: 'Forbidden' })),
    },
  };
}

function binding(resource: string): JsonObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: `platform-secrets-${resource}` },
    spec: {
      policyName: `platform-secrets-${resource}`,
      validationActions: ['Deny'],
      matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['alloy', 'cert-manager', 'external-dns'] }] } },
    },
  };
}

/** Everything the isolation renders for an environment whose secrets live under `env/`. */
function expectedIsolation(env: string): JsonObject[] {
  const ownPrefix = { name: 'ownPrefix', expression: `'${env}/db/' + request.namespace + '/'` };
  const outside = (field: string, verb: string) =>
    `'${field}: cannot ${verb} a key outside ' + variables.ownPrefix + ' of ClusterSecretStore platform-secrets from namespace ' + request.namespace + '; keep the key under that prefix'`;
  return [
    policy(
      'externalsecrets',
      [ownPrefix, { name: 'defaultStoreIsPlatform', expression: `has(object.spec.secretStoreRef) && ${reaches('object.spec.secretStoreRef')}` }],
      [
        { expression: `!has(object.spec.data) || object.spec.data.all(d, !${entry('d')} || ${own('d.remoteRef.key')})`, messageExpression: outside('spec.data[].remoteRef.key', 'read') },
        {
          expression: `!has(object.spec.dataFrom) || object.spec.dataFrom.all(f, !${entry('f')} || !has(f.find))`,
          message:
            "spec.dataFrom[].find: cannot search ClusterSecretStore platform-secrets: a search is not bounded by the namespace's prefix; name each key in data[].remoteRef.key or dataFrom[].extract.key",
        },
        {
          expression: `!has(object.spec.dataFrom) || object.spec.dataFrom.all(f, !${entry('f')} || !has(f.extract) || ${own('f.extract.key')})`,
          messageExpression: outside('spec.dataFrom[].extract.key', 'read'),
        },
      ],
    ),
    binding('externalsecrets'),
    policy(
      'pushsecrets',
      [ownPrefix, { name: 'pushesToPlatform', expression: `has(object.spec.secretStoreRefs) && object.spec.secretStoreRefs.exists(r, ${reachesBySelector('r')})` }],
      [
        {
          expression: `!variables.pushesToPlatform || !has(object.spec.data) || object.spec.data.all(d, ${own('d.match.remoteRef.remoteKey')})`,
          messageExpression: outside('spec.data[].match.remoteRef.remoteKey', 'push'),
        },
        {
          expression: `!has(object.spec.dataTo) || object.spec.dataTo.all(t, !(has(t.storeRef) && ${reachesBySelector('t.storeRef')}) || (has(t.remoteKey) && ${own('t.remoteKey')}))`,
          messageExpression:
            "'spec.dataTo[]: cannot push to ClusterSecretStore platform-secrets from namespace ' + request.namespace + ' except as one remoteKey under ' + variables.ownPrefix + ' (per-key pushes are not bounded by the prefix)'",
        },
      ],
    ),
    binding('pushsecrets'),
    policy(
      'secretstores',
      [],
      [
        {
          expression: '!has(object.spec.provider.aws) || has(object.spec.provider.aws.auth)',
          message:
            "spec.provider.aws.auth: cannot create an AWS SecretStore without auth: it would run with the External Secrets operator's own identity; name a service account (auth.jwt) or a Secret (auth.secretRef) of this namespace",
        },
      ],
    ),
    binding('secretstores'),
  ];
}

describe('the isolation objects, exactly as rendered', () => {
  const cases = [
    { reason: 'AWS: keys under dev/db/<namespace>/, the prefix platform-environment gives Database XRs', resources: dev, env: 'dev' },
    { reason: 'on-prem (Vault): the same policies under onprem/db/<namespace>/', resources: onprem, env: 'onprem' },
  ];
  it.each(cases)('$reason', ({ resources, env }) => {
    expect(isolationObjects(resources)).toEqual(expectedIsolation(env));
  });

  it('the store admits project namespaces by their label and the platform namespaces by name, nothing else', () => {
    for (const resources of [dev, onprem]) {
      expect((manifestOf(resources, 'object-external-secrets-store').spec as JsonObject).conditions).toEqual([
        { namespaceSelector: { matchLabels: { [PROJECT_NAMESPACE_LABEL]: 'true' } } },
        { namespaces: ['alloy', 'cert-manager', 'external-dns'] },
      ]);
    }
    // The label is the one project namespaces carry (examples/project/namespace.yaml).
    const namespace = parse(readFileSync('examples/project/namespace.yaml', 'utf8')) as { metadata: { labels: Record<string, string> } };
    expect(namespace.metadata.labels[PROJECT_NAMESPACE_LABEL]).toBe('true');
  });

  it('the policies and bindings are valid admissionregistration.k8s.io/v1 objects (Kubernetes 1.35 OpenAPI)', () => {
    const report = validateManifests(defaultValidator(), [{ file: 'isolation', manifests: [...isolationObjects(dev), ...isolationObjects(onprem)] }], { errorOnMissingSchemas: true });
    expect(report.lines).toEqual([]);
    expect(report.valid).toBe(12);
  });
});

/** Every field path `object.spec.…` a CEL expression names, with list items as `[]`. */
function celFieldPaths(expression: string): string[] {
  const paths = new Set<string>();
  const aliases = new Map<string, string>();
  for (const m of expression.matchAll(/object\.spec\.([A-Za-z.]+)\.(?:all|exists)\((\w+),/g)) aliases.set(m[2]!, `spec.${m[1]!}[]`);
  for (const m of expression.matchAll(/\b(object\.spec|[a-z])\.([A-Za-z][A-Za-z.]*)/g)) {
    const base = m[1] === 'object.spec' ? 'spec' : aliases.get(m[1]!);
    if (base === undefined) continue;
    const fields = m[2]!.split('.').filter((f) => !['startsWith', 'contains', 'all', 'exists'].includes(f));
    paths.add([base, ...fields].join('.'));
  }
  return [...paths].sort();
}

/** Whether `path` (dots, `[]` for list items) exists in a CRD version's schema. */
function inSchema(schema: JsonObject, path: string): boolean {
  let node: JsonObject | undefined = schema;
  for (const part of path.split('.')) {
    const name = part.replace(/\[\]$/, '');
    node = (node?.properties as Record<string, JsonObject> | undefined)?.[name];
    if (node === undefined) return false;
    if (part.endsWith('[]')) node = node.items as JsonObject | undefined;
  }
  return true;
}

describe('every field the policies name exists in the real External Secrets CRDs', () => {
  const crd = (file: string, version: string) => {
    const doc = parse(readFileSync(join('schemas/external-secrets', file), 'utf8')) as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: JsonObject } }> } };
    return doc.spec.versions.find((v) => v.name === version)!.schema.openAPIV3Schema;
  };
  const cases = [
    { reason: 'ExternalSecret v1 (the only served version)', resource: 'externalsecrets', schema: crd('external-secrets.io_externalsecrets.yaml', 'v1') },
    { reason: 'PushSecret v1alpha1 (the only served version)', resource: 'pushsecrets', schema: crd('external-secrets.io_pushsecrets.yaml', 'v1alpha1') },
    { reason: 'SecretStore v1 (the only served version)', resource: 'secretstores', schema: crd('external-secrets.io_secretstores.yaml', 'v1') },
  ];
  it.each(cases)('$reason', ({ resource, schema }) => {
    const spec = manifestOf(dev, `object-external-secrets-policy-${resource}`).spec as { variables?: Array<{ expression: string }>; validations: Array<{ expression: string }> };
    const paths = [...(spec.variables ?? []), ...spec.validations].flatMap((v) => celFieldPaths(v.expression));
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((p) => !inSchema(schema, p))).toEqual([]);
  });

  it('the key fields are all covered', () => {
    const all = KINDS.flatMap((k) => (manifestOf(dev, `object-external-secrets-policy-${k}`).spec as { validations: Array<{ expression: string }> }).validations)
      .flatMap((v) => celFieldPaths(v.expression));
    expect(all).toEqual(
      expect.arrayContaining(['spec.data[].remoteRef.key', 'spec.dataFrom[].extract.key', 'spec.dataFrom[].find', 'spec.data[].match.remoteRef.remoteKey', 'spec.dataTo[].remoteKey', 'spec.dataTo[].storeRef']),
    );
  });
});

/** ExternalSecrets and PushSecrets an Environment composes on `platform-secrets`. */
function platformStoreUsers(resources: Resources): JsonObject[] {
  const usesStore = (ref: unknown) => {
    const r = ref as { kind?: string; name?: string } | undefined;
    return r?.kind === PLATFORM_SECRET_STORE.kind && r.name === PLATFORM_SECRET_STORE.name;
  };
  return Object.values(resources)
    .filter((r) => r.kind === 'Object')
    .map((o) => forProvider(o).manifest as JsonObject)
    .filter((m) => {
      const spec = m.spec as { secretStoreRef?: unknown; secretStoreRefs?: unknown[] } | undefined;
      return (m.kind === 'ExternalSecret' && usesStore(spec?.secretStoreRef)) || (m.kind === 'PushSecret' && (spec?.secretStoreRefs ?? []).some(usesStore));
    });
}

describe('the exempt namespaces are exactly where the Environment itself uses the store', () => {
  const grafanaCloud = { observability: { mode: 'grafana-cloud', grafanaCloud: { prometheusUrl: 'https://prom.example/api/prom/push', lokiUrl: 'https://logs.example/loki/api/v1/push', tracesEndpoint: 'tempo.example:443', credentialsSecret: 'dev/observability/grafana-cloud' } } };
  const renders = [
    { reason: 'dev (AWS, in-cluster observability)', resources: dev },
    { reason: 'prod', resources: settledExample('prod') },
    { reason: 'on-prem (TSIG for External DNS, the CA for cert-manager)', resources: onprem },
    { reason: 'dev with Grafana Cloud (Alloy reads its credentials)', resources: settledExample('dev', grafanaCloud) },
  ];
  it('no platform ExternalSecret or PushSecret on the store lies outside the exempt namespaces, and every exemption is used', () => {
    const used = new Set<string>();
    for (const { reason, resources } of renders) {
      for (const m of platformStoreUsers(resources)) {
        const ns = (m.metadata as { namespace: string }).namespace;
        expect(PLATFORM_SECRET_NAMESPACES, `${reason}: ${ns}`).toContain(ns);
        used.add(ns);
      }
    }
    expect([...used].sort()).toEqual([...PLATFORM_SECRET_NAMESPACES].sort());
  });
});

describe('what a Database composes stays inside its namespace', () => {
  const cases = [
    { reason: 'forge-api/main', metadata: {}, prefix: 'dev/db/forge-api/' },
    { reason: 'a namespace that is a prefix of another (team vs team-a) gets a key no other namespace can reach', metadata: { name: 'orders', namespace: 'team' }, prefix: 'dev/db/team/' },
  ];
  it.each(cases)('$reason', ({ metadata, prefix }) => {
    const { response } = runFunction(request(databaseXr({}, metadata), { required: withPlatformEnvironment() }), { ttlSeconds: 60 });
    const resources = response.desired?.resources ?? {};
    const push = resources['password-push']?.resource as { spec: { data: Array<{ match: { remoteRef: { remoteKey: string } } }> } };
    const read = resources['connection-secret']?.resource as { spec: { data: Array<{ remoteRef: { key: string } }> } };
    const keys = [...push.spec.data.map((d) => d.match.remoteRef.remoteKey), ...read.spec.data.map((d) => d.remoteRef.key)];
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key.startsWith(prefix)).toBe(true);
      expect(key.slice(prefix.length)).not.toContain('/');
    }
  });
});

describe('the allow/deny table for an API server', () => {
  const scratch = scratchDir('isolation-');
  afterAll(() => scratch.dispose());

  it('every case object is valid against the real External Secrets CRDs (real `crossplane resource validate`)', () => {
    expect(toolsBuilt(), 'the Crossplane tools are not built (scripts/crossplane-tools/build.sh, or CROSSPLANE_TOOLS_DIR)').toBe(true);
    const file = join(scratch.path, 'cases.yaml');
    const objects = ISOLATION_CASES.map((c) => ({ ...c.object, metadata: { ...(c.object.metadata as JsonObject), namespace: c.namespace } }));
    writeFileSync(file, [...objects, manifestOf(dev, 'object-external-secrets-store')].map((m) => `---\n${toYaml(m)}`).join(''));
    const result = resourceValidate(validationExtensions(scratch.path), file);
    expect(result.findings).toEqual([]);
    expect(result.status, result.output.slice(-2000)).toBe(0);
  });

  it('each refusal names a field a rule of the rendered policies reports', () => {
    const messages = KINDS.flatMap((k) => (manifestOf(dev, `object-external-secrets-policy-${k}`).spec as { validations: Array<{ message?: string; messageExpression?: string }> }).validations).map(
      (v) => v.message ?? v.messageExpression ?? '',
    );
    for (const c of ISOLATION_CASES.filter((c) => c.denied !== undefined)) {
      expect(
        messages.some((m) => m.replace(/^'/, '').startsWith(`${c.denied!}:`)),
        c.reason,
      ).toBe(true);
    }
  });

  it('covers each rule with a refusal and each kind with an admission, in project, unlabelled and platform namespaces', () => {
    const denied = new Set(ISOLATION_CASES.flatMap((c) => (c.denied !== undefined ? [c.denied] : [])));
    expect([...denied].sort()).toEqual(['spec.dataFrom[].extract.key', 'spec.dataFrom[].find', 'spec.dataTo[]', 'spec.data[].match.remoteRef.remoteKey', 'spec.data[].remoteRef.key', 'spec.provider.aws.auth']);
    const admittedKinds = new Set(ISOLATION_CASES.filter((c) => c.denied === undefined).map((c) => c.object.kind));
    expect([...admittedKinds].sort()).toEqual(['ExternalSecret', 'PushSecret', 'SecretStore']);
    const namespaces = new Set(ISOLATION_CASES.map((c) => c.namespace));
    for (const ns of PLATFORM_SECRET_NAMESPACES) expect(namespaces.has(ns), ns).toBe(true);
  });
});

/** The resource a case's kind is served as (the API server finds it by discovery). */
const RESOURCE: Record<string, (typeof KINDS)[number]> = { ExternalSecret: 'externalsecrets', PushSecret: 'pushsecrets', SecretStore: 'secretstores' };

interface Verdict {
  allowed: boolean;
  denials: Array<{ policy: string; binding: string; message: string }>;
}

/** The verdicts of the API server's admission evaluator (scripts/crossplane-tools/admission-check) on the isolation cases. */
function admissionVerdicts(policies: JsonObject[], bindings: JsonObject[]): Verdict[] {
  const binary = join(TOOLS_DIR, 'admission-check');
  const cases = ISOLATION_CASES.map((c) => ({ namespace: c.namespace, resource: RESOURCE[c.object.kind as string], object: c.object }));
  const run = spawnSync(binary, [], { input: JSON.stringify({ policies, bindings, cases }), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  expect(run.error, `${binary}: build it with scripts/crossplane-tools/build.sh`).toBeUndefined();
  expect(run.status, run.stderr).toBe(0);
  const verdicts = JSON.parse(run.stdout) as Verdict[];
  expect(verdicts).toHaveLength(ISOLATION_CASES.length);
  return verdicts;
}

/** The cases whose verdict is not the expected one, by reason. */
function mismatches(verdicts: Verdict[]): string[] {
  return ISOLATION_CASES.flatMap((c, i) => {
    const v = verdicts[i]!;
    const ok = c.denied === undefined ? v.allowed : !v.allowed && v.denials.some((d) => d.message.startsWith(`${c.denied!}:`));
    return ok ? [] : [c.reason];
  });
}

describe("the allow/deny table, decided by the API server's admission evaluator (k8s.io/apiserver)", () => {
  const objects = isolationObjects(dev);
  const policies = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy');
  const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
  const verdicts = admissionVerdicts(policies, bindings);

  it.each(ISOLATION_CASES.map((c, i) => ({ ...c, verdict: verdicts[i]! })))('$reason', ({ denied, verdict }) => {
    if (denied === undefined) {
      expect(verdict).toEqual({ allowed: true, denials: [] });
    } else {
      expect(verdict.allowed).toBe(false);
      // One rule refuses, with its own message (not an evaluation error, which would also deny).
      expect(verdict.denials).toHaveLength(1);
      expect(verdict.denials[0]!.message.startsWith(`${denied}:`), verdict.denials[0]!.message).toBe(true);
    }
  });

  const broken = (mutate: (expression: string) => string) =>
    policies.map((p) => {
      const spec = p.spec as { variables?: Array<{ name: string; expression: string }> };
      return { ...p, spec: { ...spec, ...(spec.variables ? { variables: spec.variables.map((v) => (v.name === 'ownPrefix' ? { ...v, expression: mutate(v.expression) } : v)) } : {}) } };
    });
  const negatives = [
    {
      reason: "a prefix without the trailing '/' lets namespace team reach team-a's keys",
      policies: broken((e) => e.replace(/ \+ '\/'$/, '')),
      evaluationErrors: false,
      wrong: [
        "another project's Database password",
        "the old layout: namespace team would own team-a's keys",
        'an entry whose own storeRef is platform-secrets, under another default store',
        'extract of another project',
        'push over another project',
        'a label selector may select platform-secrets',
      ],
    },
    {
      // Variables are evaluated lazily, as in the API server: cases that never reach ownPrefix
      // (another store, a generator, find, SecretStores, exempt namespaces) keep their verdict.
      reason: 'a variable that fails to compile denies every request that evaluates it',
      policies: broken(() => "'dev/db/' + request.namespce + '/'"),
      evaluationErrors: true,
      wrong: [
        'a project reads its own Database password',
        'a project pushes its own Database password',
        'extract (a whole secret) under the own prefix',
        "another project's Database password",
        "the old layout: namespace team would own team-a's keys",
        'a path that climbs out of the own prefix',
        'the on-prem database root password',
        'global/ holds the platform TSIG and CA keys: not for projects',
        'a secret by ARN cannot be bounded by name',
        'an entry whose own storeRef is platform-secrets, under another default store',
        'extract of another project',
        'push over another project',
        'a label selector may select platform-secrets',
        'dataTo per key writes keys named by the source Secret',
        'an unlabelled, non-platform namespace is bound too',
      ],
    },
  ];
  it.each(negatives)('the check catches a broken policy: $reason', ({ policies: mutated, evaluationErrors, wrong }) => {
    expect(mutated).not.toEqual(policies);
    const got = admissionVerdicts(mutated, bindings);
    expect(mismatches(got).sort()).toEqual([...wrong].sort());
    const errors = got.flatMap((v) => v.denials).filter((d) => d.message.startsWith('error:'));
    expect(errors.length > 0).toBe(evaluationErrors);
  });
});
