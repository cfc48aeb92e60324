/**
 * Composed resources as their providers and controllers report them once they
 * exist: the observed state a reconcile after creation sees. The tests drive
 * XRs to their fully created state with it, in-process and through the real
 * Crossplane engine alike, so both see the same observed resources.
 *
 * - Managed resources (provider-upjet-aws, provider-helm, provider-kubernetes,
 *   provider-sql) and everything else whose CRD status has conditions report
 *   Ready and Synced. AWS resources report `status.atProvider`: their
 *   `forProvider` arguments echoed where the CRD's atProvider has the same
 *   field, plus the computed identifiers (id, arn) and whatever `computed`
 *   adds for the resources others wait on (endpoints, zone ids, addresses).
 * - Kubernetes kinds report what their controllers write: a claim is Bound, a
 *   route and a traffic policy are accepted by their Gateway, External
 *   Secrets are Ready.
 * Everything reported is projected onto the CRD's status schema, so it is
 * something the real API server would store.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { listFiles, parseManifests } from './schema-validator.js';
import { REPO_ROOT } from './validation.js';

type JsonObject = Record<string, unknown>;

/** Computed values a provider reports for one composed resource, by composition-resource name. */
export type ComputedValues = (key: string, resource: JsonObject) => JsonObject;

const ACCOUNT = '111111111111';
const TRANSITION_TIME = '2024-01-01T00:00:00Z';
const GATEWAY_CONTROLLER = 'gateway.envoyproxy.io/gatewayclass-controller';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let crdFiles: string[] | undefined;
const statusSchemas = new Map<string, JsonObject>();
const loadedGroups = new Set<string>();

/**
 * `<apiVersion>/<Kind>` -> the status schema of that version, from the CRDs in
 * schemas/. Only the files of the asked group are read (they are named
 * `<group>_<plural>.yaml`, schemas/README.md): parsing every CRD up front
 * costs seconds that a plan of one XR should not pay.
 */
function statusSchemaOf(apiVersion: string, kind: string): JsonObject | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  // A CRD's group always has a dot; core and built-in kinds have no CRD here.
  if (!group.includes('.')) return undefined;
  if (!loadedGroups.has(group)) {
    loadedGroups.add(group);
    crdFiles ??= listFiles(join(REPO_ROOT, 'schemas'), ['.yaml']).filter((file) => !file.includes(join('schemas', 'charts')));
    for (const file of crdFiles.filter((f) => basename(f).startsWith(`${group}_`))) {
      for (const crd of parseManifests(readFileSync(file, 'utf8'), file)) {
        if (crd.kind !== 'CustomResourceDefinition') continue;
        const spec = crd.spec as { group: string; names: { kind: string }; versions: Array<{ name: string; schema?: { openAPIV3Schema?: JsonObject } }> };
        for (const version of spec.versions) {
          const status = (version.schema?.openAPIV3Schema?.properties as JsonObject | undefined)?.status;
          if (isObject(status)) statusSchemas.set(`${spec.group}/${version.name}/${spec.names.kind}`, status);
        }
      }
    }
  }
  return statusSchemas.get(`${apiVersion}/${kind}`);
}

/**
 * `value` reduced to what `schema` can hold: object fields the schema does not
 * name are dropped (a `forProvider` reference or selector has no atProvider
 * counterpart), lists and maps are projected item by item, scalars kept when
 * their type fits.
 */
export function projectOnto(value: unknown, schema: JsonObject | undefined): unknown {
  if (schema === undefined) return undefined;
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && schema.properties === undefined) return value;
  switch (schema.type) {
    case 'object': {
      if (!isObject(value)) return undefined;
      const properties = schema.properties as Record<string, JsonObject> | undefined;
      const additional = isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
      const out: JsonObject = {};
      for (const [key, item] of Object.entries(value)) {
        const projected = projectOnto(item, properties?.[key] ?? additional);
        if (projected !== undefined) out[key] = projected;
      }
      return out;
    }
    case 'array':
      return Array.isArray(value) ? value.map((item) => projectOnto(item, schema.items as JsonObject | undefined)).filter((item) => item !== undefined) : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'integer':
      return Number.isInteger(value) ? value : undefined;
    case 'number':
      return typeof value === 'number' ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    default:
      return value;
  }
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function crossplaneConditions(): JsonObject[] {
  return [
    { type: 'Ready', status: 'True', reason: 'Available', lastTransitionTime: TRANSITION_TIME },
    { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', lastTransitionTime: TRANSITION_TIME },
  ];
}

function accepted(): JsonObject[] {
  return [
    { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Accepted', lastTransitionTime: TRANSITION_TIME },
    { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Resolved all references', lastTransitionTime: TRANSITION_TIME },
  ];
}

/** The identifiers an AWS provider reports for every resource: its id, and an ARN where the kind has one. */
function awsIdentifiers(resource: JsonObject, forProvider: JsonObject): JsonObject {
  const metadata = (resource.metadata ?? {}) as { name?: string; namespace?: string };
  const apiVersion = String(resource.apiVersion);
  const service = apiVersion.slice(0, apiVersion.indexOf('.'));
  const kind = String(resource.kind).toLowerCase();
  const name = String(metadata.name ?? 'unnamed');
  const region = typeof forProvider.region === 'string' ? forProvider.region : 'eu-central-1';
  return {
    id: `${kind}-${shortHash(`${metadata.namespace ?? ''}/${name}`)}`,
    arn: `arn:aws:${service}:${region}:${ACCOUNT}:${kind}/${name}`,
  };
}

function kubernetesStatus(resource: JsonObject): JsonObject | undefined {
  const spec = (resource.spec ?? {}) as JsonObject;
  switch (`${String(resource.apiVersion)}/${String(resource.kind)}`) {
    case 'v1/PersistentVolumeClaim': {
      const requested = ((spec.resources as JsonObject | undefined)?.requests ?? {}) as JsonObject;
      return { phase: 'Bound', accessModes: spec.accessModes, capacity: { storage: requested.storage } };
    }
    case 'gateway.networking.k8s.io/v1/HTTPRoute':
      return { parents: ((spec.parentRefs ?? []) as JsonObject[]).map((parentRef) => ({ parentRef, controllerName: GATEWAY_CONTROLLER, conditions: accepted() })) };
    case 'gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy':
    case 'gateway.envoyproxy.io/v1alpha1/SecurityPolicy':
    case 'gateway.envoyproxy.io/v1alpha1/ClientTrafficPolicy': {
      const targets = (spec.targetRefs ?? (spec.targetRef !== undefined ? [spec.targetRef] : [])) as JsonObject[];
      return { ancestors: targets.map((target) => ({ ancestorRef: { group: target.group, kind: target.kind, name: target.name }, controllerName: GATEWAY_CONTROLLER, conditions: accepted() })) };
    }
    default:
      return undefined;
  }
}

/**
 * One composed resource as observed once its provider or controller reports it
 * created and ready. `computed` adds the provider-computed fields other
 * resources wait on; it is projected onto the atProvider schema like the echo.
 */
export function observedAsReported(key: string, resource: JsonObject, computed: ComputedValues = () => ({})): JsonObject {
  const apiVersion = String(resource.apiVersion);
  const kind = String(resource.kind);
  const metadata = { ...((resource.metadata ?? {}) as JsonObject) };
  metadata.annotations = { ...((metadata.annotations ?? {}) as JsonObject), 'crossplane.io/composition-resource-name': key };
  const schema = statusSchemaOf(apiVersion, kind);
  const native = kubernetesStatus(resource);
  let status: JsonObject | undefined;
  if (native !== undefined) {
    status = native;
  } else if (schema !== undefined) {
    const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
    status = {};
    if (properties.conditions !== undefined) status.conditions = crossplaneConditions();
    if (properties.atProvider !== undefined) {
      const forProvider = (((resource.spec ?? {}) as JsonObject).forProvider ?? {}) as JsonObject;
      const reported = {
        ...forProvider,
        ...(apiVersion.includes('.aws.m.upbound.io/') ? awsIdentifiers(resource, forProvider) : {}),
        ...(apiVersion.startsWith('kubernetes.m.crossplane.io/') && kind === 'Object' ? { manifest: forProvider.manifest } : {}),
        ...(apiVersion.startsWith('helm.m.crossplane.io/') && kind === 'Release' ? { state: 'deployed', revision: 1, releaseDescription: 'Install complete' } : {}),
        ...computed(key, resource),
      };
      status.atProvider = projectOnto(reported, properties.atProvider) ?? {};
    }
    status = projectOnto(status, schema) as JsonObject;
  }
  const { status: _desiredStatus, ...rest } = resource;
  return { ...rest, metadata, ...(status !== undefined && Object.keys(status).length > 0 ? { status } : {}) };
}

/** Every desired resource as observed once created and ready (see {@link observedAsReported}). */
export function observeAll(resources: Readonly<Record<string, JsonObject>>, computed: ComputedValues = () => ({})): Record<string, JsonObject> {
  return Object.fromEntries(Object.entries(resources).map(([key, resource]) => [key, observedAsReported(key, resource, computed)]));
}

/** What AWS computes for the Environment resources whose values others wait on. */
export function environmentComputed(environment: string): ComputedValues {
  return (key: string, resource: JsonObject): JsonObject => {
    switch (key) {
      case 'vpc':
        return { id: `vpc-${environment}` };
      case 'kms-key':
        return { arn: `arn:aws:kms:eu-central-1:${ACCOUNT}:key/${environment}` };
      case 'cluster':
        return {
          endpoint: `https://${environment}.eks.example`,
          identity: [{ oidc: [{ issuer: `https://oidc.eks.eu-central-1.amazonaws.com/id/${environment.toUpperCase()}` }] }],
          vpcConfig: { clusterSecurityGroupId: `sg-${environment}` },
        };
      case 'launch-template-system':
        return { id: `lt-${environment}`, latestVersion: 1 };
      case 'zone':
        return { zoneId: `Z${environment.toUpperCase()}ZONE`, nameServers: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.net'] };
      case 'zone-private':
        return { zoneId: `Z${environment.toUpperCase()}PRIVATE` };
      case 'database':
        return {
          address: `${environment}-database.example`,
          port: 5432,
          masterUserSecret: [{ secretArn: `arn:aws:secretsmanager:eu-central-1:${ACCOUNT}:secret:rds!db-${environment}-AbCdEf`, secretStatus: 'active' }],
        };
      case 'transit-gateway-attachment':
        return { id: `tgw-attach-${environment}` };
      case 'amp-workspace': {
        // AMP names workspaces ws-<uuid> and reports its ARN under the aps service; the endpoint ends in a slash.
        const region = String((((resource.spec ?? {}) as JsonObject).forProvider as JsonObject | undefined)?.region ?? 'eu-central-1');
        return {
          id: `ws-${environment}`,
          arn: `arn:aws:aps:${region}:${ACCOUNT}:workspace/ws-${environment}`,
          prometheusEndpoint: `https://aps-workspaces.${region}.amazonaws.com/workspaces/ws-${environment}/`,
        };
      }
      default:
        // Roles report their ARN; some composers wait for one (Pod Identity, IRSA annotations).
        return key.startsWith('role-') ? { arn: `arn:aws:iam::${ACCOUNT}:role/${environment}-${key}` } : {};
    }
  };
}

/** What AWS computes for the Hub's resources: the Transit Gateway, its route tables and attachment, NAT addresses. */
export function hubComputed(key: string): JsonObject {
  // The RAM share waits for the Transit Gateway's ARN; Environments check its owner (the network account).
  if (key === 'transit-gateway') return { id: 'tgw-hub', arn: 'arn:aws:ec2:eu-central-1:444444444444:transit-gateway/tgw-hub', ownerId: '444444444444' };
  const table = /^tgw-route-table-(.+)$/.exec(key);
  if (table) return { id: `tgw-rtb-${table[1]}` };
  if (key === 'tgw-attachment-egress') return { id: 'tgw-attach-egress' };
  const eip = /^eip-nat-(.)$/.exec(key);
  if (eip) return { publicIp: `198.51.100.${(eip[1] ?? 'a').charCodeAt(0) - 96}` };
  if (key === 'vpc') return { id: 'vpc-egress' };
  return {};
}

/** The computed values for an example XR: the Hub's, or an Environment's named after spec.environment (or the XR). */
export function computedFor(xr: JsonObject): ComputedValues {
  if (xr.kind === 'Hub') return hubComputed;
  const spec = (xr.spec ?? {}) as JsonObject;
  return environmentComputed(typeof spec.environment === 'string' ? spec.environment : String((xr.metadata as JsonObject | undefined)?.name));
}
