import { FatalError } from '../../errors.js';
import {
  platformEnvironmentLayers,
  platformEnvironmentRequirement,
  platformEnvironmentSchema,
  requireSection,
  type GatewayRef,
  type PlatformEnvironment,
} from '../../environment-config/platform-environment.js';
import { backendTrafficPolicy } from '../../resources/envoy-gateway.js';
import { httpRoute, policyAccepted, routeAcceptedBy, type GatewayParentRef } from '../../resources/gateway-api.js';
import { allowFromPrincipals, ANY_MESH_PRINCIPAL, serviceAccountPrincipal } from '../../resources/istio.js';
import { ownerLabels } from '../../resources/kubernetes.js';
import type { Composed, KindDefinition } from '../kind.js';
import type { DesiredResource, XrIdentity } from '../../composite.js';
import { networkSpecSchema, networkStatusSchema, type NetworkSpec } from './schema.js';

/** Composition-resource names. Never change them: a rename deletes and recreates the object. */
export const ROUTE_RESOURCE = 'route';
export const AUTHORIZATION_RESOURCE = 'authorization-policy';
export const AUDIT_AUTHORIZATION_RESOURCE = 'authorization-policy-audit';
export const TRAFFIC_POLICY_RESOURCE = 'traffic-policy';

/** The longest host name DNS allows. */
const MAX_HOSTNAME = 253;

/** Sequences the Gateway API refuses in Exact and PathPrefix paths (its CEL rules), with the reason. */
const FORBIDDEN_IN_PATH: ReadonlyArray<[RegExp, string]> = [
  [/\/\//, 'must not contain "//"'],
  [/\/\.\//, 'must not contain "/./"'],
  [/\/\.\.\//, 'must not contain "/../"'],
  [/%2f/i, 'must not contain an encoded "/" (%2F)'],
  [/\/\.\.$/, 'must not end with "/.."'],
  [/\/\.$/, 'must not end with "/."'],
];

/**
 * Refuses paths the Gateway API would reject, and duplicates. Two entries are
 * duplicates when their paths are equal once a trailing "/" is dropped: the
 * Gateway API matches `/api` and `/api/` prefixes alike, and a prefix already
 * covers the exact path of the same value.
 */
function checkPaths(spec: NetworkSpec): void {
  const seen = new Map<string, number>();
  spec.paths.forEach(({ path }, index) => {
    for (const [pattern, problem] of FORBIDDEN_IN_PATH) {
      if (pattern.test(path)) throw new FatalError(`spec.paths[${index}].path: ${problem}`);
    }
    const key = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new FatalError(`spec.paths[${index}].path: "${path}" duplicates spec.paths[${first}].path ("${spec.paths[first]?.path}"); list each path once`);
    }
    seen.set(key, index);
  });
}

/** The config this kind needs: zone, the gateway of its visibility with its proxies' identity, and the mesh trust domain. */
function readConfig(config: PlatformEnvironment, visibility: NetworkSpec['visibility']): { zone: string; gateway: GatewayRef & { serviceAccount: NonNullable<GatewayRef['serviceAccount']> }; trustDomain: string } {
  const zone = requireSection(config, 'zone', 'name the host');
  const gateway = requireSection(config, 'gateways', 'attach the route')[visibility];
  if (gateway.serviceAccount === undefined) {
    throw new FatalError(`cannot admit the gateway to the service: EnvironmentConfig "platform-environment" has no data.gateways.${visibility}.serviceAccount`);
  }
  const { trustDomain } = requireSection(config, 'mesh', 'admit callers by identity');
  return { zone, gateway: { ...gateway, serviceAccount: gateway.serviceAccount }, trustDomain };
}

/** The principals admitted to the Service: the gateway's proxies and each caller, once, sorted. */
function principals(spec: NetworkSpec, trustDomain: string, gatewayAccount: { namespace: string; name: string }): string[] {
  const all = new Set([serviceAccountPrincipal(trustDomain, gatewayAccount.namespace, gatewayAccount.name)]);
  for (const caller of spec.allowedCallers) all.add(serviceAccountPrincipal(trustDomain, caller.namespace, caller.serviceAccount));
  return [...all].sort();
}

function hasTrafficPolicy(spec: NetworkSpec): boolean {
  return spec.timeouts !== undefined || spec.retries !== undefined || spec.rateLimit !== undefined;
}

function checkMetadataName(xr: XrIdentity): void {
  // The name is a label value on everything composed, and label values stop at 63 characters.
  if (xr.name.length > 63) throw new FatalError('metadata.name: must be at most 63 characters (it labels every composed object)');
}

/** Network: an HTTPRoute on the environment Gateway, an Istio ALLOW policy, and optionally an Envoy Gateway traffic policy. */
export const networkKind: KindDefinition<NetworkSpec, PlatformEnvironment> = {
  kind: 'Network',
  plural: 'networks',
  description: 'Exposes a Service through the environment gateway (public or internal) and admits only the gateway and listed callers to it.',
  categories: ['platform', 'catalyst-forge'],
  printerColumns: [
    { name: 'VISIBILITY', type: 'string', jsonPath: '.spec.visibility' },
    { name: 'URL', type: 'string', jsonPath: '.status.url' },
  ],
  spec: networkSpecSchema,
  status: networkStatusSchema,

  requirements: [platformEnvironmentRequirement],
  config: () => ({ layers: platformEnvironmentLayers, schema: platformEnvironmentSchema }),

  compose({ xr, spec, config, observed }): Composed {
    checkMetadataName(xr);
    checkPaths(spec);
    const { zone, gateway, trustDomain } = readConfig(config, spec.visibility);
    const hostname = `${spec.hostname}.${zone}`;
    if (hostname.length > MAX_HOSTNAME) {
      throw new FatalError(`spec.hostname: "${hostname}" is longer than ${MAX_HOSTNAME} characters`);
    }
    const serviceName = spec.service.name ?? xr.name;
    if (spec.service.name === undefined && !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(serviceName)) {
      throw new FatalError(`spec.service.name: required because metadata.name "${xr.name}" is not a Service name (a DNS label starting with a letter)`);
    }
    const labels = { ...ownerLabels(xr), 'platform.projectcatalyst.io/visibility': spec.visibility };
    const parent: GatewayParentRef = {
      name: gateway.name,
      namespace: gateway.namespace,
      ...(gateway.sectionName !== undefined ? { sectionName: gateway.sectionName } : {}),
    };

    const route = httpRoute({
      name: xr.name,
      namespace: xr.namespace,
      labels,
      parent,
      hostname,
      paths: spec.paths.map((p) => ({ type: p.type, value: p.path })),
      service: { name: serviceName, port: spec.service.port },
    });
    const selector = spec.service.selector ?? { 'app.kubernetes.io/name': serviceName };
    const admitted = principals(spec, trustDomain, gateway.serviceAccount);
    // Audit: the mesh-wide default deny still refuses callers outside the mesh, but every mesh workload gets
    // through; the exact policy runs beside it as a dry-run copy, so ztunnel reports what enforce would refuse.
    const audit = spec.enforcement === 'audit';
    const policy = allowFromPrincipals({ name: xr.name, namespace: xr.namespace, labels, selector, principals: audit ? [ANY_MESH_PRINCIPAL] : admitted });

    const resources: Record<string, DesiredResource> = {
      [ROUTE_RESOURCE]: { resource: route as unknown as Record<string, unknown>, ready: routeAcceptedBy(observed[ROUTE_RESOURCE], parent) },
      // Istio writes no status for a policy; existing is all there is to observe.
      [AUTHORIZATION_RESOURCE]: { resource: policy as unknown as Record<string, unknown>, ready: observed[AUTHORIZATION_RESOURCE] !== undefined },
    };
    const intentionallyRemoved: string[] = [];
    if (audit) {
      const dryRun = allowFromPrincipals({ name: `${xr.name}-audit`, namespace: xr.namespace, labels, selector, principals: admitted, dryRun: true });
      resources[AUDIT_AUTHORIZATION_RESOURCE] = { resource: dryRun as unknown as Record<string, unknown>, ready: observed[AUDIT_AUTHORIZATION_RESOURCE] !== undefined };
    } else {
      // Switching to enforce drops the dry-run copy: the enforced policy is now the exact one.
      intentionallyRemoved.push(AUDIT_AUTHORIZATION_RESOURCE);
    }
    if (hasTrafficPolicy(spec)) {
      const traffic = backendTrafficPolicy({
        name: xr.name,
        namespace: xr.namespace,
        labels,
        routeName: xr.name,
        timeouts: spec.timeouts,
        retries: spec.retries,
        requestsPerMinute: spec.rateLimit?.requestsPerMinute,
      });
      resources[TRAFFIC_POLICY_RESOURCE] = { resource: traffic as unknown as Record<string, unknown>, ready: policyAccepted(observed[TRAFFIC_POLICY_RESOURCE]) };
    } else {
      // Clearing timeouts, retries and rate limit removes the policy: it holds no data.
      intentionallyRemoved.push(TRAFFIC_POLICY_RESOURCE);
    }

    return {
      resources,
      status: { url: `https://${hostname}`, hostname, gateway: `${gateway.namespace}/${gateway.name}` },
      intentionallyRemoved,
    };
  },
};
