import { runBytes } from './helpers/outcome.js';
import { composedResponse as expectedComposed, fatalResponse as fatal, tableTests, type ExpectedResources, type TableCase, MISSING_PLATFORM_ENVIRONMENT } from './helpers/responses.js';
import { describe, expect, it } from 'vitest';
import { Ready, RunFunctionResponse, Severity, type RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { configWith, databaseXr, reverseKeys } from './helpers/project-xrs.js';
import { PLATFORM_ENVIRONMENT_REQUIREMENT, platformEnvironment, request, withPlatformEnvironment, type JsonObject } from './helpers/requests.js';

const HOST = 'dev-postgres.abcdefghijkl.eu-central-1.rds.amazonaws.com';


const RETAIN = ['Observe', 'Create', 'Update', 'LateInitialize'];
const DELETE = ['*'];
const SQL = 'postgresql.sql.m.crossplane.io/v1alpha1';

/** What one expected Database composes; `xr` is the Database's metadata.name. */
interface Expect {
  xr?: string;
  dbName?: string;
  policies?: string[];
  connectionLimit?: number;
  extensions?: string[];
  remoteKey?: string;
  sslMode?: string;
}

function labels(xr: string): JsonObject {
  return { 'app.kubernetes.io/managed-by': 'crossplane', 'app.kubernetes.io/part-of': 'catalyst-forge', 'platform.projectcatalyst.io/database': xr };
}

function sqlResource(kind: string, name: string, e: Required<Expect>, forProvider: JsonObject, externalName?: string): JsonObject {
  return {
    apiVersion: SQL,
    kind,
    metadata: { labels: labels(e.xr), name, namespace: 'forge-api', ...(externalName ? { annotations: { 'crossplane.io/external-name': externalName } } : {}) },
    spec: { forProvider, managementPolicies: e.policies, providerConfigRef: { kind: 'ClusterProviderConfig', name: 'platform-postgres' } },
  };
}

function usage(name: string, xr: string, of: [string, string], by: [string, string]): JsonObject {
  return {
    apiVersion: 'protection.crossplane.io/v1beta1',
    kind: 'Usage',
    metadata: { labels: labels(xr), name, namespace: 'forge-api' },
    spec: {
      by: { apiVersion: SQL, kind: by[0], resourceRef: { name: by[1] } },
      of: { apiVersion: SQL, kind: of[0], resourceRef: { name: of[1] } },
      replayDeletion: true,
    },
  };
}

type Desired = ExpectedResources;

/** Every resource a Database composes, with nothing observed yet. */
function composed(options: Expect = {}): Desired {
  const e: Required<Expect> = {
    xr: 'main',
    dbName: 'forge_api_main',
    policies: RETAIN,
    connectionLimit: 20,
    extensions: [],
    remoteKey: `dev/db/forge-api/${options.xr ?? 'main'}`,
    sslMode: 'require',
    ...options,
  };
  const secret = `${e.xr}-db`;
  const meta = { labels: labels(e.xr), name: secret, namespace: 'forge-api' };
  // Not observed yet, so not ready: managed resources count once they report Ready=True.
  const notYet = Ready.READY_FALSE;
  const out: Desired = {
    role: {
      resource: sqlResource(
        'Role',
        e.xr,
        e,
        {
          connectionLimit: e.connectionLimit,
          passwordSecretRef: { key: 'password', name: secret },
          privileges: { bypassRls: false, createDb: false, createRole: false, inherit: true, login: true, replication: false, superUser: false },
        },
        e.dbName,
      ),
      ready: notYet,
    },
    database: { resource: sqlResource('Database', e.xr, e, { ownerRef: { name: e.xr } }, e.dbName), ready: notYet },
    grant: {
      resource: sqlResource('Grant', e.xr, e, {
        databaseRef: { name: e.xr },
        privileges: ['CONNECT', 'CREATE', 'TEMPORARY'],
        revokePublicOnDb: true,
        roleRef: { name: e.xr },
      }),
      ready: notYet,
    },
    'password-generator': {
      resource: {
        apiVersion: 'generators.external-secrets.io/v1alpha1',
        kind: 'Password',
        metadata: meta,
        spec: { allowRepeat: true, digits: 8, length: 32, noUpper: false, symbols: 0 },
      },
      ready: Ready.READY_FALSE,
    },
    'password-push': {
      resource: {
        apiVersion: 'external-secrets.io/v1alpha1',
        kind: 'PushSecret',
        metadata: meta,
        spec: {
          data: [{ match: { remoteRef: { property: 'password', remoteKey: e.remoteKey }, secretKey: 'password' } }],
          deletionPolicy: e.policies === DELETE ? 'Delete' : 'None',
          refreshInterval: '1h',
          secretStoreRefs: [{ kind: 'ClusterSecretStore', name: 'platform-secrets' }],
          selector: { generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: secret } },
          updatePolicy: 'IfNotExists',
        },
      },
      ready: notYet,
    },
    'connection-secret': {
      resource: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: meta,
        spec: {
          data: [{ remoteRef: { key: e.remoteKey, property: 'password' }, secretKey: 'password' }],
          refreshInterval: '1h',
          secretStoreRef: { kind: 'ClusterSecretStore', name: 'platform-secrets' },
          target: {
            creationPolicy: 'Owner',
            name: secret,
            template: {
              data: {
                database: e.dbName,
                host: HOST,
                password: '{{ .password }}',
                port: '5432',
                url: `postgresql://${e.dbName}:{{ .password }}@${HOST}:5432/${e.dbName}?sslmode=${e.sslMode}`,
                username: e.dbName,
              },
              engineVersion: 'v2',
              metadata: { labels: labels(e.xr) },
              type: 'Opaque',
            },
          },
        },
      },
      ready: notYet,
    },
    'usage-database-uses-role': { resource: usage(`${e.xr}-database-uses-role`, e.xr, ['Role', e.xr], ['Database', e.xr]), ready: notYet },
    'usage-grant-uses-database': { resource: usage(`${e.xr}-grant-uses-database`, e.xr, ['Database', e.xr], ['Grant', e.xr]), ready: notYet },
  };
  for (const ext of e.extensions) {
    const name = `${e.xr}-${ext.replace(/_/g, '-')}`;
    out[`extension-${ext}`] = { resource: sqlResource('Extension', name, e, { databaseRef: { name: e.xr }, extension: ext }), ready: notYet };
    out[`usage-extension-${ext}`] = { resource: usage(`${name}-uses-database`, e.xr, ['Database', e.xr], ['Extension', name]), ready: notYet };
  }
  return out;
}

function status(dbName = 'forge_api_main', xr = 'main'): JsonObject {
  return { database: dbName, host: HOST, port: 5432, secretName: `${xr}-db`, username: dbName };
}

function composedResponse(resources: Desired, xrStatus: JsonObject = status()): RunFunctionResponse {
  return expectedComposed('Database', resources, xrStatus);
}

function fatalResponse(message: string, xr = 'main'): RunFunctionResponse {
  return fatal(`cannot compose Database forge-api/${xr}: ${message}`);
}

const FATAL_WITHOUT_CONFIG = fatalResponse(MISSING_PLATFORM_ENVIRONMENT);

function observed(resource: JsonObject, compositionName: string): JsonObject {
  const metadata = resource.metadata as JsonObject;
  return {
    ...resource,
    metadata: { ...metadata, uid: 'u-1', annotations: { ...(metadata.annotations as JsonObject | undefined), 'crossplane.io/composition-resource-name': compositionName } },
  };
}

function withReady(resources: Desired, name: string, ready: Ready): Desired {
  const entry = resources[name];
  if (entry === undefined) throw new Error(`no ${name}`);
  return { ...resources, [name]: { ...entry, ready } };
}

const LONG = 'a-very-long-database-name-that-goes-on-and-on-beyond-the-limit';

const cases: Record<string, TableCase> = {
  WithoutPlatformEnvironmentIsFatal: {
    reason: 'A Composition that does not have Crossplane fetch platform-environment is refused, naming what to install; the function never asks for it itself.',
    req: request(databaseXr({})),
    want: FATAL_WITHOUT_CONFIG,
  },
  ComposesWithDefaults: {
    reason: 'Defaults: name <namespace>_<name>, 20 connections, Retain (no Delete in managementPolicies, remote secret kept), no extensions.',
    req: request(databaseXr({}), { required: withPlatformEnvironment() }),
    want: composedResponse(composed()),
  },
  DeletePolicyDropsEverything: {
    reason: 'deletionPolicy Delete gives every SQL resource all management actions and deletes the remote password with the PushSecret.',
    req: request(databaseXr({ deletionPolicy: 'Delete', connectionLimit: 5 }), { required: withPlatformEnvironment() }),
    want: composedResponse(composed({ policies: DELETE, connectionLimit: 5 })),
  },
  ExtensionsWithUsages: {
    reason: 'One Extension per listed extension, each blocking deletion of the database until it is gone; names are DNS-safe.',
    req: request(databaseXr({ extensions: ['uuid-ossp', 'pg_trgm', 'pgcrypto'] }), { required: withPlatformEnvironment() }),
    want: composedResponse(composed({ extensions: ['pg_trgm', 'pgcrypto', 'uuid-ossp'] })),
  },
  ChosenNameWithNamespacePrefix: {
    reason: 'A chosen name inside the namespace prefix is used for the database and the role.',
    req: request(databaseXr({ name: 'forge_api_ledger' }), { required: withPlatformEnvironment() }),
    want: composedResponse(composed({ dbName: 'forge_api_ledger' }), status('forge_api_ledger')),
  },
  DefaultNameSanitised: {
    reason: '"-" and "." become "_" in the default name.',
    req: request(databaseXr({}, { name: 'main.v2' }), { required: withPlatformEnvironment() }),
    want: composedResponse(composed({ xr: 'main.v2', dbName: 'forge_api_main_v2' }), status('forge_api_main_v2', 'main.v2')),
  },
  LongDefaultNameHashed: {
    reason: 'A default name over 63 bytes keeps 54 characters and a hash of the whole, so it stays unique.',
    req: request(databaseXr({}, { name: LONG }), { required: withPlatformEnvironment() }),
    want: composedResponse(
      composed({ xr: LONG, dbName: 'forge_api_a_very_long_database_name_that_goes_on_and_o_d4ac2dad' }),
      status('forge_api_a_very_long_database_name_that_goes_on_and_o_d4ac2dad', LONG),
    ),
  },
  SslModeFromConfig: {
    reason: "The URL's sslmode comes from the environment (verify-full where the CA is installed).",
    req: request(databaseXr({}), { required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => ((d.database as JsonObject).sslMode = 'verify-full'))) }),
    want: composedResponse(composed({ sslMode: 'verify-full' })),
  },
  SecretPrefixFromConfig: {
    reason: 'The Secrets Manager key is <secrets.prefix>db/<namespace>/<name>: a namespace cannot contain "/", so no namespace prefix covers another namespace.',
    req: request(databaseXr({}), { required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => ((d.secrets as JsonObject).prefix = 'staging/'))) }),
    want: composedResponse(composed({ remoteKey: 'staging/db/forge-api/main' })),
  },
  GeneratorReadyOnceObserved: {
    reason: 'A Password generator has no status; once it exists it is ready.',
    req: request(databaseXr({}), { required: withPlatformEnvironment(), observed: { 'password-generator': observed(composed()['password-generator']!.resource, 'password-generator') } }),
    want: composedResponse(withReady(composed(), 'password-generator', Ready.READY_TRUE)),
  },
  ManagedReadyFromItsCondition: {
    reason: 'Crossplane derives nothing itself: a managed resource is READY_TRUE exactly when it reports Ready=True, else READY_FALSE.',
    req: request(databaseXr({}), {
      required: withPlatformEnvironment(),
      observed: {
        role: { ...observed(composed().role!.resource, 'role'), status: { conditions: [{ type: 'Synced', status: 'True' }, { type: 'Ready', status: 'True' }] } },
        database: { ...observed(composed().database!.resource, 'database'), status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Creating' }] } },
        grant: observed(composed().grant!.resource, 'grant'),
      },
    }),
    want: composedResponse(withReady(composed(), 'role', Ready.READY_TRUE)),
  },
  ExtensionTakenOffTheList: {
    reason: 'An extension removed from the list is dropped from the composition on purpose (Retain leaves it in the database).',
    req: request(databaseXr({ extensions: ['pgcrypto'] }), {
      required: withPlatformEnvironment(),
      observed: {
        database: observed(composed().database!.resource, 'database'),
        'extension-citext': observed(composed({ extensions: ['citext'] })['extension-citext']!.resource, 'extension-citext'),
        'usage-extension-citext': observed(composed({ extensions: ['citext'] })['usage-extension-citext']!.resource, 'usage-extension-citext'),
      },
    }),
    want: composedResponse(composed({ extensions: ['pgcrypto'] })),
  },

  // Bad input: each a Fatal naming the field.
  UnknownExtension: {
    reason: 'Only allow-listed extensions can be created.',
    req: request(databaseXr({ extensions: ['pgcrypto', 'plpython3u'] }), { required: withPlatformEnvironment() }),
    want: fatalResponse(
      'spec.extensions[1]: must be one of "btree_gin", "btree_gist", "citext", "hstore", "ltree", "pg_stat_statements", "pg_trgm", "pgcrypto", "postgis", "tablefunc", "unaccent", "uuid-ossp", "vector"',
    ),
  },
  DuplicateExtension: {
    reason: 'An extension listed twice is a mistake.',
    req: request(databaseXr({ extensions: ['citext', 'pgcrypto', 'citext'] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.extensions[2]: "citext" is already listed at spec.extensions[0]'),
  },
  NameNotIdentifier: {
    reason: 'Capitals and "-" are not in an unquoted PostgreSQL identifier.',
    req: request(databaseXr({ name: 'Forge-API' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.name: must be a PostgreSQL identifier: lowercase letters, digits and "_", not starting with a digit'),
  },
  NameStartsWithDigit: {
    reason: 'Identifiers do not start with a digit.',
    req: request(databaseXr({ name: '1forge' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.name: must be a PostgreSQL identifier: lowercase letters, digits and "_", not starting with a digit'),
  },
  NameTooLong: {
    reason: 'PostgreSQL truncates identifiers at 63 bytes; refuse rather than truncate silently.',
    req: request(databaseXr({ name: `forge_api_${'x'.repeat(54)}` }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.name: too big: expected string to have <=63 characters'),
  },
  NameOutsideNamespacePrefix: {
    reason: "A name outside the namespace's prefix could take another project's database on the shared instance.",
    req: request(databaseXr({ name: 'billing_main' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.name: "billing_main" must start with "forge_api_" followed by at least one character, so that it cannot name another project\'s database'),
  },
  NameIsOnlyThePrefix: {
    reason: 'The prefix alone is not a name.',
    req: request(databaseXr({ name: 'forge_api_' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.name: "forge_api_" must start with "forge_api_" followed by at least one character, so that it cannot name another project\'s database'),
  },
  Rename: {
    reason: 'Renaming would create a new database and orphan the old one; refuse.',
    req: request(databaseXr({ name: 'forge_api_other' }), { required: withPlatformEnvironment(), observed: { database: observed(composed().database!.resource, 'database') } }),
    want: fatalResponse('spec.name: cannot rename database "forge_api_main" to "forge_api_other": create a new Database and move the data'),
  },
  ConnectionLimitZero: {
    reason: 'A login role with no connections is useless.',
    req: request(databaseXr({ connectionLimit: 0 }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.connectionLimit: too small: expected number to be >=1'),
  },
  ConnectionLimitTooHigh: {
    reason: 'The shared instance has a finite number of connections.',
    req: request(databaseXr({ connectionLimit: 1000 }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.connectionLimit: too big: expected number to be <=500'),
  },
  UnknownDeletionPolicy: {
    reason: 'Only Retain and Delete exist.',
    req: request(databaseXr({ deletionPolicy: 'Orphan' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.deletionPolicy: must be one of "Retain", "Delete"'),
  },
  UnknownField: {
    reason: 'A misspelled field is an error, not silently ignored, and the nearest known field is suggested.',
    req: request(databaseXr({ extension: ['pgcrypto'] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec: unknown field "extension" (did you mean "extensions"?)'),
  },
  MetadataNameTooLong: {
    reason: 'The name labels every composed object, and label values stop at 63 characters.',
    req: request(databaseXr({ name: 'forge_api_x' }, { name: 'm'.repeat(64) }), { required: withPlatformEnvironment() }),
    want: fatalResponse('metadata.name: must be at most 63 characters (it labels every composed object)', 'm'.repeat(64)),
  },

  // Config: each missing section is a Fatal naming it, never a default.
  MissingConfig: {
    reason: 'No platform-environment: a Fatal naming it.',
    req: request(databaseXr({}), { required: { [PLATFORM_ENVIRONMENT_REQUIREMENT]: [] } }),
    want: fatalResponse('cannot find EnvironmentConfig "platform-environment": it is required and does not exist'),
  },
  ConfigWithoutDatabase: {
    reason: 'An environment without a shared instance cannot serve Database.',
    req: request(databaseXr({}), { required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => delete d.database)) }),
    want: fatalResponse('cannot place the database: EnvironmentConfig "platform-environment" has no data.database'),
  },
  ConfigWithoutSecrets: {
    reason: 'Without a secret store the password has nowhere to live.',
    req: request(databaseXr({}), { required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => delete d.secrets)) }),
    want: fatalResponse('cannot keep the password: EnvironmentConfig "platform-environment" has no data.secrets'),
  },
  ConfigWithBadPort: {
    reason: 'Bad database data names the config and the field.',
    req: request(databaseXr({}), { required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => ((d.database as JsonObject).port = 0))) }),
    want: fatalResponse('cannot use EnvironmentConfig "platform-environment": data.database.port: too small: expected number to be >=1'),
  },
};

describe('RunFunction for Database', () => {
  tableTests(cases);

  it('never puts a password in its output', () => {
    const { response } = runFunction(request(databaseXr({ extensions: ['pgcrypto'] }), { required: withPlatformEnvironment() }), { ttlSeconds: 60 });
    const text = JSON.stringify(response);
    // The only password-looking values are the template placeholder and the key names.
    expect(text.match(/"password":"[^"]*"/g)?.every((m) => m === '"password":"{{ .password }}"')).toBe(true);
    expect(text).not.toMatch(/postgresql:\/\/[^:]+:[^{]/);
  });

  it('answers junk in the spec with a Fatal naming a field, never an exception', () => {
    // (null is not junk here: like a missing spec it is an empty one, and every Database field has a default.)
    const junk: unknown[] = [3, 'db', [], { name: 42 }, { connectionLimit: '20' }, { extensions: [{ name: 'pgcrypto' }] }, { name: 'forge_api_ｍain' }];
    for (const spec of junk) {
      const { response } = runFunction(request({ ...databaseXr({}), spec }, { required: withPlatformEnvironment() }), { ttlSeconds: 60 });
      expect(response.results).toHaveLength(1);
      expect(response.results[0]?.severity).toBe(Severity.SEVERITY_FATAL);
      expect(response.results[0]?.message).toMatch(/^cannot compose Database forge-api\/main: spec/);
    }
  });
});

describe('Database determinism', () => {
  const bytes = (req: RunFunctionRequest) => runBytes(req);

  it('gives byte-identical responses for the same request, whatever the key order of the input', () => {
    const req = request(databaseXr({ extensions: ['vector', 'citext'], deletionPolicy: 'Delete' }), { required: withPlatformEnvironment() });
    expect(bytes(req).equals(bytes(structuredClone(req)))).toBe(true);
    expect(bytes(reverseKeys(req)).equals(bytes(req))).toBe(true);
  });

  it('gives the same bytes whatever the order of the extensions', () => {
    const a = request(databaseXr({ extensions: ['vector', 'citext', 'hstore'] }), { required: withPlatformEnvironment() });
    const b = request(databaseXr({ extensions: ['hstore', 'vector', 'citext'] }), { required: withPlatformEnvironment() });
    expect(bytes(a).equals(bytes(b))).toBe(true);
  });
});
