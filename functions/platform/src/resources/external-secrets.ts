/** External Secrets Operator resources: a Password generator, a PushSecret and an ExternalSecret. */

/** The store every secret of an environment goes through (ClusterSecretStore or SecretStore). */
export interface SecretStoreRef {
  kind: 'ClusterSecretStore' | 'SecretStore';
  name: string;
}

/**
 * Where a namespace's own secrets live under the environment's prefix:
 * `<prefix>db/<namespace>/`. A namespace name cannot contain "/", so no
 * namespace's prefix is a prefix of another's (with "-" instead, `team` would
 * own `team-a`'s keys). The admission policy of the environment cluster
 * admits a project namespace only to keys under its own prefix.
 */
export function namespaceSecretPrefix(environmentPrefix: string, namespace: string): string {
  return `${environmentPrefix}db/${namespace}/`;
}

interface Metadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

/**
 * A Password generator: 32 characters of letters and digits, no symbols, so
 * the value is safe in a URL and a shell without quoting.
 */
export function passwordGenerator(metadata: Metadata) {
  return {
    apiVersion: 'generators.external-secrets.io/v1alpha1',
    kind: 'Password',
    metadata,
    spec: { length: 32, digits: 8, symbols: 0, noUpper: false, allowRepeat: true },
  };
}

/**
 * Pushes a freshly generated password to the store once: `IfNotExists` makes
 * the store the source of truth, so later refreshes (which generate a new
 * value) never overwrite it. `deleteRemote` removes the remote secret with
 * the PushSecret.
 */
export function pushGeneratedPassword(props: {
  metadata: Metadata;
  store: SecretStoreRef;
  generatorName: string;
  remoteKey: string;
  property: string;
  deleteRemote: boolean;
}) {
  return {
    apiVersion: 'external-secrets.io/v1alpha1',
    kind: 'PushSecret',
    metadata: props.metadata,
    spec: {
      refreshInterval: '1h',
      updatePolicy: 'IfNotExists',
      deletionPolicy: props.deleteRemote ? 'Delete' : 'None',
      secretStoreRefs: [{ kind: props.store.kind, name: props.store.name }],
      selector: { generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: props.generatorName } },
      data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: props.remoteKey, property: props.property } } }],
    },
  };
}

/**
 * An ExternalSecret reading one property of a remote secret and writing a
 * Secret from a template. `templateData` values may use `{{ .<secretKey> }}`.
 */
export function templatedExternalSecret(props: {
  metadata: Metadata;
  store: SecretStoreRef;
  targetName: string;
  remoteKey: string;
  property: string;
  secretKey: string;
  templateData: Record<string, string>;
}) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: props.metadata,
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: props.store.kind, name: props.store.name },
      target: {
        name: props.targetName,
        creationPolicy: 'Owner',
        template: { engineVersion: 'v2', type: 'Opaque', metadata: { labels: props.metadata.labels }, data: props.templateData },
      },
      data: [{ secretKey: props.secretKey, remoteRef: { key: props.remoteKey, property: props.property } }],
    },
  };
}
