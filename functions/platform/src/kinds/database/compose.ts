import { createHash } from 'node:crypto';
import { FatalError } from '../../errors.js';
import { platformEnvironmentLayers, platformEnvironmentRequirement, platformEnvironmentSchema, requireSection, type PlatformEnvironment } from '../../environment-config/platform-environment.js';
import { namespaceSecretPrefix, passwordGenerator, pushGeneratedPassword, templatedExternalSecret } from '../../resources/external-secrets.js';
import { ownerLabels } from '../../resources/kubernetes.js';
import {
  database,
  databaseGrant,
  EXTERNAL_NAME_ANNOTATION,
  extension,
  loginRole,
  MANAGE_AND_DELETE,
  MANAGE_AND_RETAIN,
  PROVIDER_SQL_API_VERSION,
  type SqlResourceCommon,
} from '../../resources/provider-sql.js';
import { usage } from '../../resources/usage.js';
import type { Composed, KindDefinition } from '../kind.js';
import type { DesiredResource, ObservedResources, XrIdentity } from '../../composite.js';
import { databaseSpecSchema, databaseStatusSchema, MAX_PG_IDENTIFIER, type AllowedExtension, type DatabaseSpec } from './schema.js';

/** Composition-resource names. Never change them: a rename deletes and recreates the object. */
export const ROLE_RESOURCE = 'role';
export const DATABASE_RESOURCE = 'database';
export const GRANT_RESOURCE = 'grant';
export const PASSWORD_GENERATOR_RESOURCE = 'password-generator';
export const PASSWORD_PUSH_RESOURCE = 'password-push';
export const CONNECTION_SECRET_RESOURCE = 'connection-secret';
export const DATABASE_USES_ROLE = 'usage-database-uses-role';
export const GRANT_USES_DATABASE = 'usage-grant-uses-database';
const EXTENSION_PREFIX = 'extension-';
const EXTENSION_USAGE_PREFIX = 'usage-extension-';

/** Key of the password in the Secrets Manager secret (a JSON object) and in the workload Secret. */
const PASSWORD_PROPERTY = 'password';

/**
 * The prefix every database name of a namespace starts with: the namespace
 * with "-" as "_", led by "_" where it would otherwise start with a digit or
 * with "pg_" (PostgreSQL reserves role names starting with pg_).
 */
export function namespacePrefix(namespace: string): string {
  const base = namespace.replace(/-/g, '_');
  return `${/^([0-9]|pg_)/.test(base) ? '_' : ''}${base}_`;
}

/**
 * `<namespace>_<metadata.name>` as a PostgreSQL identifier. Longer than 63
 * bytes, it keeps the first 54 characters and appends "_" and 8 hex digits of
 * a SHA-256 of the whole name, so two long names never share a database.
 */
export function defaultDatabaseName(namespace: string, name: string): string {
  const full = `${namespacePrefix(namespace)}${name.replace(/[^a-z0-9_]/g, '_')}`;
  if (full.length <= MAX_PG_IDENTIFIER) return full;
  const digest = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_PG_IDENTIFIER - 9)}_${digest}`;
}

/**
 * The database (and role) name. A chosen name must start with the namespace
 * prefix: the instance is shared by every project of the environment, and a
 * name outside the prefix could adopt another project's database.
 */
function databaseName(xr: XrIdentity, spec: DatabaseSpec): string {
  if (spec.name === undefined) return defaultDatabaseName(xr.namespace, xr.name);
  const prefix = namespacePrefix(xr.namespace);
  if (!spec.name.startsWith(prefix) || spec.name.length === prefix.length) {
    throw new FatalError(`spec.name: "${spec.name}" must start with "${prefix}" followed by at least one character, so that it cannot name another project's database`);
  }
  return spec.name;
}

function checkExtensions(spec: DatabaseSpec): void {
  const seen = new Map<string, number>();
  spec.extensions.forEach((name, index) => {
    const first = seen.get(name);
    if (first !== undefined) throw new FatalError(`spec.extensions[${index}]: "${name}" is already listed at spec.extensions[${first}]`);
    seen.set(name, index);
  });
}

/** A database is renamed only by creating a new one: refuse instead of orphaning the old one. */
function checkNotRenamed(observed: ObservedResources, wanted: string): void {
  const annotations = (observed[DATABASE_RESOURCE]?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations;
  const current = annotations?.[EXTERNAL_NAME_ANNOTATION];
  if (current !== undefined && current !== wanted) {
    throw new FatalError(`spec.name: cannot rename database "${current}" to "${wanted}": create a new Database and move the data`);
  }
}

function extensionResourceName(xr: XrIdentity, name: AllowedExtension): string {
  return `${xr.name}-${name.replace(/_/g, '-')}`;
}

/** `postgresql://` URL template; the password comes from the store at sync time. */
function urlTemplate(username: string, host: string, port: number, name: string, sslMode: string): string {
  return `postgresql://${username}:{{ .${PASSWORD_PROPERTY} }}@${host}:${port}/${name}?sslmode=${sslMode}`;
}

/**
 * Database: a login role and a database it owns in the environment's shared
 * PostgreSQL (provider-sql), a grant revoking PUBLIC, allow-listed
 * extensions, and the credentials made and kept by External Secrets.
 */
export const databaseKind: KindDefinition<DatabaseSpec, PlatformEnvironment> = {
  kind: 'Database',
  plural: 'databases',
  description: 'A PostgreSQL database and login role in the environment shared instance; credentials in Secret <name>-db through External Secrets.',
  categories: ['platform', 'catalyst-forge'],
  printerColumns: [
    { name: 'DATABASE', type: 'string', jsonPath: '.status.database' },
    { name: 'SECRET', type: 'string', jsonPath: '.status.secretName' },
    { name: 'DELETION', type: 'string', jsonPath: '.spec.deletionPolicy' },
  ],
  spec: databaseSpecSchema,
  status: databaseStatusSchema,

  requirements: [platformEnvironmentRequirement],
  config: () => ({ layers: platformEnvironmentLayers, schema: platformEnvironmentSchema }),

  compose({ xr, spec, config, observed }): Composed {
    // The name is a label value on everything composed, and label values stop at 63 characters.
    if (xr.name.length > 63) throw new FatalError('metadata.name: must be at most 63 characters (it labels every composed object)');
    checkExtensions(spec);
    const name = databaseName(xr, spec);
    checkNotRenamed(observed, name);
    const instance = requireSection(config, 'database', 'place the database');
    const secrets = requireSection(config, 'secrets', 'keep the password');

    const labels = ownerLabels(xr);
    const deleting = spec.deletionPolicy === 'Delete';
    const common: SqlResourceCommon = {
      namespace: xr.namespace,
      labels,
      managementPolicies: deleting ? MANAGE_AND_DELETE : MANAGE_AND_RETAIN,
      providerConfigName: instance.providerConfigName,
    };
    const secretName = `${xr.name}-db`;
    const remoteKey = `${namespaceSecretPrefix(secrets.prefix, xr.namespace)}${xr.name}`;
    const meta = { name: secretName, namespace: xr.namespace, labels };

    const role = loginRole({ name: xr.name, roleName: name, connectionLimit: spec.connectionLimit, passwordSecret: { name: secretName, key: PASSWORD_PROPERTY }, common });
    const db = database({ name: xr.name, databaseName: name, ownerRoleResource: xr.name, common });
    const grant = databaseGrant({ name: xr.name, roleResource: xr.name, databaseResource: xr.name, common });
    const sql = (kind: string, resourceName: string) => ({ apiVersion: PROVIDER_SQL_API_VERSION, kind, name: resourceName });

    const resources: Record<string, DesiredResource> = {
      // Managed resources report Ready themselves; ready stays unset so their Ready condition decides.
      [ROLE_RESOURCE]: { resource: role as unknown as Record<string, unknown> },
      [DATABASE_RESOURCE]: { resource: db as unknown as Record<string, unknown> },
      [GRANT_RESOURCE]: { resource: grant as unknown as Record<string, unknown> },
      // A generator has no status: it is ready once it exists.
      [PASSWORD_GENERATOR_RESOURCE]: { resource: passwordGenerator(meta), ready: observed[PASSWORD_GENERATOR_RESOURCE] !== undefined },
      [PASSWORD_PUSH_RESOURCE]: {
        resource: pushGeneratedPassword({ metadata: meta, store: secrets.store, generatorName: secretName, remoteKey, property: PASSWORD_PROPERTY, deleteRemote: deleting }),
      },
      [CONNECTION_SECRET_RESOURCE]: {
        resource: templatedExternalSecret({
          metadata: meta,
          store: secrets.store,
          targetName: secretName,
          remoteKey,
          property: PASSWORD_PROPERTY,
          secretKey: PASSWORD_PROPERTY,
          templateData: {
            host: instance.host,
            port: String(instance.port),
            database: name,
            username: name,
            password: `{{ .${PASSWORD_PROPERTY} }}`,
            url: urlTemplate(name, instance.host, instance.port, name, instance.sslMode ?? 'require'),
          },
        }),
      },
      // Deletion order under Delete: extensions and grant, then the database, then its owner.
      [DATABASE_USES_ROLE]: {
        resource: usage({ name: `${xr.name}-database-uses-role`, namespace: xr.namespace, labels, of: sql('Role', xr.name), by: sql('Database', xr.name) }),
      },
      [GRANT_USES_DATABASE]: {
        resource: usage({ name: `${xr.name}-grant-uses-database`, namespace: xr.namespace, labels, of: sql('Database', xr.name), by: sql('Grant', xr.name) }),
      },
    };
    const wanted = new Set<string>();
    for (const ext of [...spec.extensions].sort()) {
      const resourceName = extensionResourceName(xr, ext);
      wanted.add(`${EXTENSION_PREFIX}${ext}`).add(`${EXTENSION_USAGE_PREFIX}${ext}`);
      resources[`${EXTENSION_PREFIX}${ext}`] = {
        resource: extension({ name: resourceName, extension: ext, databaseResource: xr.name, common }) as unknown as Record<string, unknown>,
      };
      resources[`${EXTENSION_USAGE_PREFIX}${ext}`] = {
        resource: usage({ name: `${resourceName}-uses-database`, namespace: xr.namespace, labels, of: sql('Database', xr.name), by: sql('Extension', resourceName) }),
      };
    }
    // An extension taken off the list is dropped (Delete) or left in place (Retain).
    const intentionallyRemoved = Object.keys(observed)
      .filter((key) => (key.startsWith(EXTENSION_PREFIX) || key.startsWith(EXTENSION_USAGE_PREFIX)) && !wanted.has(key))
      .sort();

    return {
      resources,
      status: { host: instance.host, port: instance.port, database: name, username: name, secretName },
      intentionallyRemoved,
    };
  },
};
