import { describe, expect, it } from 'vitest';
import { ADDONS } from '../functions/platform/src/kinds/environment/addons/index.js';
import { releaseProblems } from '../scripts/lib/charts.js';
import { readManifest, type JsonObject } from './helpers/requests.js';
import { settleEnvironment } from './helpers/settle.js';
import { settledProblems } from './helpers/settled-checks.js';

const EXAMPLES = ['dev', 'staging', 'prod', 'prod-standalone'];

describe('platform operators in a fully created Environment', () => {
  for (const example of EXAMPLES) {
    describe(`examples/environment/${example}.yaml`, () => {
      const { resources, rounds } = settleEnvironment(readManifest(`examples/environment/${example}.yaml`));
      const manifests = Object.values(resources);

      it(`settles in ${rounds} rounds with the operators installed`, () => {
        expect(Object.keys(resources)).toEqual(expect.arrayContaining(['cluster-auth', 'provider-config-helm', 'provider-config-kubernetes', 'release-external-dns', 'object-storage-classes-standard']));
        // Every identity is bound through Pod Identity, and every bound role exists.
        const names = new Set(manifests.map((m) => (m.metadata as { name: string }).name));
        for (const association of manifests.filter((m) => m.kind === 'PodIdentityAssociation')) {
          const roleRef = (((association.spec as JsonObject).forProvider as JsonObject).roleArnRef as { name: string }).name;
          expect(names.has(roleRef), roleRef).toBe(true);
        }
      });

      it('every manifest (Object contents included) fits the real schemas, every release its chart, and every security check passes', () => {
        const problems = settledProblems(resources);
        expect(problems.schema).toEqual([]);
        expect(problems.charts).toEqual([]);
        expect(problems.security).toEqual([]);
      });
    });
  }

  it('dependsOn names add-ons that have a release (objects-only add-ons are waited for with waitFor)', () => {
    const withRelease = new Set(ADDONS.filter((a) => a.release !== undefined).map((a) => a.name));
    for (const addon of ADDONS) for (const dep of addon.dependsOn ?? []) expect(withRelease.has(dep), `${addon.name} -> ${dep}`).toBe(true);
  });

  it('in-cluster observability installs Prometheus and Loki, whose role covers the logs bucket its storage config writes to (at the root)', () => {
    const { resources } = settleEnvironment(readManifest('examples/environment/dev.yaml'));
    expect(resources['release-kube-prometheus-stack']).toBeDefined();
    const role = ((resources['role-loki']?.spec as JsonObject).forProvider as { inlinePolicy: Array<{ policy: string }> }).inlinePolicy[0]?.policy ?? '';
    const values = (((resources['release-loki']?.spec as JsonObject).forProvider as JsonObject).values as { loki: { storage_config: { aws: { bucketnames: string } } } }).loki;
    expect(values.storage_config.aws.bucketnames).toBe('dev-eu-central-1-projectcatalyst-io-logs');
    expect(JSON.parse(role).Statement[1].Resource).toBe('arn:aws:s3:::dev-eu-central-1-projectcatalyst-io-logs/*');
  });

  it('provider-sql reaches the database as root through a store only its own service account can use', () => {
    const { resources } = settleEnvironment(readManifest('examples/environment/prod.yaml'));
    const manifest = (key: string) => ((resources[key]?.spec as JsonObject).forProvider as JsonObject).manifest as JsonObject;
    expect(manifest('object-database-access-provider-config')).toMatchObject({
      kind: 'ClusterProviderConfig',
      metadata: { name: 'platform-database' },
      spec: { credentials: { source: 'PostgreSQLConnectionSecret', connectionSecretRef: { name: 'platform-database-root', namespace: 'crossplane-system' } }, sslMode: 'require' },
    });
    expect(manifest('object-database-access-connection-secret')).toMatchObject({
      spec: {
        secretStoreRef: { kind: 'SecretStore', name: 'platform-database-root' },
        // The secret RDS manages (its ARN as AWS reports it), a JSON object: the password is one property.
        data: [{ secretKey: 'password', remoteRef: { key: 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:rds!db-prod-AbCdEf', property: 'password' } }],
      },
    });
    const reader = JSON.parse(String(((resources['role-database-root-reader']?.spec as JsonObject).forProvider as { inlinePolicy: { policy: string }[] }).inlinePolicy[0]?.policy));
    expect(reader.Statement[0].Resource).toBe('arn:aws:secretsmanager:eu-central-1:111111111111:secret:rds!db-prod-AbCdEf');
    expect((resources.database?.spec as { forProvider: JsonObject }).forProvider).toMatchObject({ manageMasterUserPassword: true, masterUserSecretKmsKeyIdRef: { name: 'prod-kms-key' } });
    expect((resources.database?.spec as { forProvider: JsonObject }).forProvider.passwordSecretRef).toBeUndefined();
    const trust = JSON.parse(String(((resources['role-database-root-reader']?.spec as JsonObject).forProvider as JsonObject).assumeRolePolicy));
    expect(trust.Statement[0].Condition.StringEquals['oidc.eks.eu-central-1.amazonaws.com/id/PROD:sub']).toBe('system:serviceaccount:crossplane-system:platform-database-root-reader');
  });

  it('add-on names are unique DNS labels', () => {
    const names = ADDONS.map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe('release checks bite', () => {
  const release = (values: JsonObject, version = '1.21.1') => ({
    apiVersion: 'helm.m.crossplane.io/v1beta1',
    kind: 'Release',
    spec: { forProvider: { chart: { name: 'external-dns', repository: 'https://kubernetes-sigs.github.io/external-dns/', version }, values } },
  });
  it('a misspelled top-level key', () => expect(releaseProblems(release({ domainFilter: ['x'] }))).toEqual(['values.domainFilter: chart external-dns has no such key']));
  it('a value the chart schema refuses', () => expect(releaseProblems(release({ policy: 'delete-everything' }))).toEqual([expect.stringContaining('values.policy: must be equal to one of the allowed values')]));
  it('a version that is not pinned to the catalog', () => expect(releaseProblems(release({}, '1.0.0'))).toEqual(['chart external-dns version 1.0.0 is not the catalog\'s 1.21.1']));
});
