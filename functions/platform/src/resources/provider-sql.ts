/**
 * provider-sql PostgreSQL managed resources, namespaced (Crossplane v2):
 * `postgresql.sql.m.crossplane.io/v1alpha1`. They have no spec.deletionPolicy;
 * what deletion does is set by `managementPolicies`.
 */

export const PROVIDER_SQL_API_VERSION = 'postgresql.sql.m.crossplane.io/v1alpha1';

/** Annotation holding the name of the object in PostgreSQL (role or database name). */
export const EXTERNAL_NAME_ANNOTATION = 'crossplane.io/external-name';

/** Every management action: Crossplane drops the object in PostgreSQL when the resource is deleted. */
export const MANAGE_AND_DELETE = ['*'] as const;

/** Every action except Delete: deleting the resource leaves the object in PostgreSQL. */
export const MANAGE_AND_RETAIN = ['Observe', 'Create', 'Update', 'LateInitialize'] as const;

/** What every provider-sql resource of one Database shares. */
export interface SqlResourceCommon {
  namespace: string;
  labels: Record<string, string>;
  managementPolicies: readonly string[];
  /** A ClusterProviderConfig naming the shared instance and its admin credentials. */
  providerConfigName: string;
}

interface SqlResource<K extends string, P> {
  apiVersion: typeof PROVIDER_SQL_API_VERSION;
  kind: K;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    managementPolicies: string[];
    providerConfigRef: { kind: 'ClusterProviderConfig'; name: string };
    forProvider: P;
  };
}

function sqlResource<K extends string, P>(kind: K, name: string, common: SqlResourceCommon, forProvider: P, externalName?: string): SqlResource<K, P> {
  return {
    apiVersion: PROVIDER_SQL_API_VERSION,
    kind,
    metadata: {
      name,
      namespace: common.namespace,
      labels: common.labels,
      ...(externalName !== undefined ? { annotations: { [EXTERNAL_NAME_ANNOTATION]: externalName } } : {}),
    },
    spec: {
      managementPolicies: [...common.managementPolicies],
      providerConfigRef: { kind: 'ClusterProviderConfig', name: common.providerConfigName },
      forProvider,
    },
  };
}

/** Role parameters this package sets. */
export interface RoleParameters {
  connectionLimit: number;
  privileges: { login: true; superUser: false; createDb: false; createRole: false; replication: false; bypassRls: false; inherit: true };
  passwordSecretRef: { name: string; key: string };
}

/**
 * A login role with nothing else: no superuser, createdb, createrole,
 * replication or RLS bypass. The password is read from a Secret in the same
 * namespace, which the function never sees.
 */
export function loginRole(props: {
  name: string;
  roleName: string;
  connectionLimit: number;
  passwordSecret: { name: string; key: string };
  common: SqlResourceCommon;
}): SqlResource<'Role', RoleParameters> {
  return sqlResource(
    'Role',
    props.name,
    props.common,
    {
      connectionLimit: props.connectionLimit,
      privileges: { login: true, superUser: false, createDb: false, createRole: false, replication: false, bypassRls: false, inherit: true },
      passwordSecretRef: { name: props.passwordSecret.name, key: props.passwordSecret.key },
    },
    props.roleName,
  );
}

/** A database owned by the Role resource `ownerRoleResource` (same namespace). */
export function database(props: { name: string; databaseName: string; ownerRoleResource: string; common: SqlResourceCommon }) {
  return sqlResource('Database', props.name, props.common, { ownerRef: { name: props.ownerRoleResource } }, props.databaseName);
}

/**
 * The role's privileges on its database, and PUBLIC's revoked: without the
 * revoke every other role on the shared instance could connect to it.
 * The three privileges are what `ALL` means on a database, spelled out because
 * provider-sql compares them with the catalogue one by one.
 */
export function databaseGrant(props: { name: string; roleResource: string; databaseResource: string; common: SqlResourceCommon }) {
  return sqlResource('Grant', props.name, props.common, {
    privileges: ['CONNECT', 'CREATE', 'TEMPORARY'],
    revokePublicOnDb: true,
    roleRef: { name: props.roleResource },
    databaseRef: { name: props.databaseResource },
  });
}

/** One extension in the database of the Database resource `databaseResource`. */
export function extension(props: { name: string; extension: string; databaseResource: string; common: SqlResourceCommon }) {
  return sqlResource('Extension', props.name, props.common, { extension: props.extension, databaseRef: { name: props.databaseResource } });
}
