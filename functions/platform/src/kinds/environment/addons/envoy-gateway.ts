import type { GatewayRef } from '../../../environment-config/platform-environment.js';
import type { EnvironmentContext } from '../context.js';
import { everywhere, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { wildcardIssuer } from './cert-manager.js';
import { OTLP_RECEIVER, samplingPercent, storesInCluster } from './observability-mode.js';
import { MONITORING_NAMESPACE } from './onprem-secrets.js';

/** The listener of the internal Gateway that serves Grafana (added where Grafana runs; grafana.ts routes to it). */
export const GRAFANA_LISTENER = 'grafana';

/** Grafana's hostname: `grafana.<zone>`, resolvable only inside the network (internal Gateway, private zone). */
export function grafanaHostname(ctx: EnvironmentContext): string {
  return `grafana.${ctx.zoneName}`;
}

const CHART = 'envoy-gateway';

/** Namespace of the Envoy Gateway control plane, the Gateways, their proxies and the wildcard certificate. */
export const GATEWAY_NAMESPACE = 'envoy-gateway-system';

/** The GatewayClass every Gateway of the environment uses. */
export const GATEWAY_CLASS = 'envoy';

/**
 * Label a namespace needs for its routes to attach to the Gateways' HTTPS
 * listeners: project namespaces carry `platform.projectcatalyst.io/project: "true"`.
 */
export const PROJECT_NAMESPACE_LABEL = 'platform.projectcatalyst.io/project';

/** Secret the wildcard certificate is written to, in {@link GATEWAY_NAMESPACE}. */
export const WILDCARD_CERTIFICATE_SECRET = 'wildcard-tls';

/** Listener project routes attach to; the `http` listener only redirects to it. */
const HTTPS_LISTENER = 'https';
const HTTP_LISTENER = 'http';

type Visibility = 'public' | 'internal';

/** The NLB scheme each Gateway's Service asks the AWS Load Balancer Controller for. */
const SCHEMES: Readonly<Record<Visibility, string>> = { public: 'internet-facing', internal: 'internal' };

/**
 * The two Gateways as `platform-environment` `data.gateways` describes them to
 * the project kinds: name, namespace, the HTTPS listener, and the service
 * account of the Gateway's Envoy proxies (fixed by its EnvoyProxy, so the
 * Network's AuthorizationPolicy can name the principal).
 */
export const GATEWAYS: Readonly<Record<Visibility, GatewayRef>> = {
  public: { name: 'public', namespace: GATEWAY_NAMESPACE, sectionName: HTTPS_LISTENER, serviceAccount: { name: 'envoy-public', namespace: GATEWAY_NAMESPACE } },
  internal: { name: 'internal', namespace: GATEWAY_NAMESPACE, sectionName: HTTPS_LISTENER, serviceAccount: { name: 'envoy-internal', namespace: GATEWAY_NAMESPACE } },
};

const VISIBILITIES: readonly Visibility[] = ['internal', 'public'];

/**
 * The Service in front of a Gateway's proxies. AWS: an NLB made by the AWS
 * Load Balancer Controller. On-prem: a plain LoadBalancer Service; the
 * cluster's own load-balancer implementation (MetalLB, kube-vip, Cilium LB
 * IPAM, ...) gives it an address, per the config's `onprem.gateways` where set.
 */
function envoyService(ctx: EnvironmentContext, visibility: Visibility): Record<string, unknown> {
  const onprem = ctx.onpremConfig;
  if (onprem !== undefined) {
    const service = onprem.gateways?.[visibility];
    return {
      type: 'LoadBalancer',
      ...(service?.loadBalancerClass !== undefined ? { loadBalancerClass: service.loadBalancerClass } : {}),
      ...(service?.annotations !== undefined ? { annotations: service.annotations } : {}),
    };
  }
  return {
    type: 'LoadBalancer',
    loadBalancerClass: 'service.k8s.aws/nlb',
    annotations: {
      'service.beta.kubernetes.io/aws-load-balancer-scheme': SCHEMES[visibility],
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-attributes': 'load_balancing.cross_zone.enabled=true',
    },
  };
}

/**
 * The Envoy proxies of one Gateway: their service account, their Service
 * (an NLB by the AWS Load Balancer Controller, pods as IP targets, across
 * zones) and, in prod, spread over zones with a disruption budget. Proxies are
 * data plane: they run on the workload nodes, not the tainted system nodes.
 */
function envoyProxy(ctx: EnvironmentContext, visibility: Visibility) {
  const gateway = GATEWAYS[visibility];
  const replicas = replicasOf(ctx, CHART);
  const ha = highlyAvailable(ctx, CHART);
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'EnvoyProxy',
    metadata: { name: gateway.name, namespace: GATEWAY_NAMESPACE },
    spec: {
      provider: {
        type: 'Kubernetes',
        kubernetes: {
          envoyServiceAccount: { name: gateway.serviceAccount?.name ?? gateway.name },
          envoyDeployment: {
            replicas,
            container: { resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } } },
            ...(ha
              ? {
                  pod: {
                    topologySpreadConstraints: [
                      {
                        maxSkew: 1,
                        topologyKey: 'topology.kubernetes.io/zone',
                        whenUnsatisfiable: 'ScheduleAnyway',
                        labelSelector: { matchLabels: { 'gateway.envoyproxy.io/owning-gateway-name': gateway.name, 'gateway.envoyproxy.io/owning-gateway-namespace': GATEWAY_NAMESPACE } },
                      },
                    ],
                  },
                }
              : {}),
          },
          ...(ha ? { envoyPDB: { minAvailable: 1 } } : {}),
          envoyService: envoyService(ctx, visibility),
        },
      },
      telemetry: { tracing: gatewayTracing(ctx) },
    },
  };
}

/**
 * The proxies' spans, to Alloy's OTLP receiver, sampled at the configured
 * share (a fraction of 10000, since the share may be below one percent).
 */
function gatewayTracing(ctx: EnvironmentContext) {
  return {
    samplingFraction: { numerator: Math.round(samplingPercent(ctx) * 100), denominator: 10000 },
    provider: { type: 'OpenTelemetry', backendRefs: [{ group: '', kind: 'Service', name: OTLP_RECEIVER.service, namespace: OTLP_RECEIVER.namespace, port: OTLP_RECEIVER.grpcPort }] },
  };
}

/** A Gateway: HTTPS with the wildcard certificate for project routes, HTTP only for the redirect in this namespace. */
function gateway(ctx: EnvironmentContext, visibility: Visibility) {
  const ref = GATEWAYS[visibility];
  const hostname = `*.${ctx.zoneName}`;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: ref.name, namespace: GATEWAY_NAMESPACE, labels: { 'platform.projectcatalyst.io/visibility': visibility } },
    spec: {
      gatewayClassName: GATEWAY_CLASS,
      infrastructure: { parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: ref.name } },
      listeners: [
        {
          name: HTTPS_LISTENER,
          protocol: 'HTTPS',
          port: 443,
          hostname,
          tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: WILDCARD_CERTIFICATE_SECRET }] },
          allowedRoutes: {
            namespaces: { from: 'Selector', selector: { matchLabels: { [PROJECT_NAMESPACE_LABEL]: 'true' } } },
            kinds: [{ kind: 'HTTPRoute' }, { kind: 'GRPCRoute' }],
          },
        },
        { name: HTTP_LISTENER, protocol: 'HTTP', port: 80, hostname, allowedRoutes: { namespaces: { from: 'Same' }, kinds: [{ kind: 'HTTPRoute' }] } },
        ...(visibility === 'internal' && storesInCluster(ctx) ? [grafanaListener(ctx)] : []),
      ],
    },
  };
}

/**
 * Grafana's own listener on the internal Gateway: its hostname only, the
 * zone's wildcard certificate, routes from the monitoring namespace only
 * (project namespaces keep the wildcard listener; the monitoring namespace
 * gets no other hostname).
 */
function grafanaListener(ctx: EnvironmentContext) {
  return {
    name: GRAFANA_LISTENER,
    protocol: 'HTTPS',
    port: 443,
    hostname: grafanaHostname(ctx),
    tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: WILDCARD_CERTIFICATE_SECRET }] },
    allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } } }, kinds: [{ kind: 'HTTPRoute' }] },
  };
}

/** Every plain-HTTP request of a Gateway answered with a permanent redirect to HTTPS. */
function httpsRedirect(visibility: Visibility) {
  const ref = GATEWAYS[visibility];
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name: `${ref.name}-https-redirect`,
      namespace: GATEWAY_NAMESPACE,
      // External DNS would publish the listener's wildcard for this route, for both Gateways;
      // only project routes (real hostnames) belong in the zone.
      annotations: { 'external-dns.alpha.kubernetes.io/controller': 'none' },
    },
    spec: {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: ref.name, sectionName: HTTP_LISTENER }],
      rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
    },
  };
}

/**
 * The Gateway API CRDs (standard channel) as a release of their own, from the
 * gateway-crds-helm chart of the same Envoy Gateway version: templated, so
 * upgrading the release upgrades them. Envoy Gateway's own CRDs stay in its
 * chart's crds/ (installed once): templated they could outgrow the Secret
 * Helm records a release in (docs/environment.md, CRD upgrades).
 */
export const gatewayApiCrds: AddonDefinition = {
  name: 'gateway-api-crds',
  chart: { repository: 'oci://docker.io/envoyproxy/gateway-crds-helm', chart: 'gateway-crds-helm', version: 'v1.9.0' },
  enabled: everywhere,
  release() {
    return {
      chart: 'gateway-api-crds',
      namespace: GATEWAY_NAMESPACE,
      values: { crds: { gatewayAPI: { enabled: true, channel: 'standard' }, envoyGateway: { enabled: false } } },
    };
  },
};

/**
 * Envoy Gateway: the control plane on the system nodes, the GatewayClass, a
 * public (internet-facing NLB) and an internal (internal NLB) Gateway, each
 * serving the zone's wildcard certificate on 443 and redirecting 80 to 443.
 * The certificate is issued by cert-manager's ClusterIssuer ({@link wildcardIssuer})
 * into this namespace. On AWS the NLBs are made by the AWS Load Balancer
 * Controller; on-prem the cluster's load balancer serves the Services
 * ({@link envoyService}), and the controller dependency falls away.
 */
export const envoyGateway: AddonDefinition = {
  name: 'envoy-gateway',
  chart: { repository: 'oci://docker.io/envoyproxy/gateway-helm', chart: 'gateway-helm', version: 'v1.9.0' },
  enabled: everywhere,
  // Helm skips the Gateway API CRDs in this chart's crds/ once the gateway-api-crds release made them.
  dependsOn: ['gateway-api-crds', 'cert-manager', 'aws-load-balancer-controller'],
  release(ctx) {
    return {
      chart: CHART,
      namespace: GATEWAY_NAMESPACE,
      values: {
        deployment: {
          replicas: replicasOf(ctx, CHART),
          envoyGateway: { resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1024Mi' } } },
          pod: { tolerations: [CRITICAL_ADDONS_TOLERATION], nodeSelector: SYSTEM_NODE_SELECTOR },
        },
        // The chart's default (minAvailable 0) renders no budget.
        podDisruptionBudget: { minAvailable: highlyAvailable(ctx, CHART) ? 1 : 0 },
      },
    };
  },
  objects(ctx) {
    const objects: Record<string, Record<string, unknown>> = {
      // The release made the namespace; this enrols it in the ambient mesh, so the proxies
      // reach project services with their own identity (the principal Networks admit).
      namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: GATEWAY_NAMESPACE, labels: { 'istio.io/dataplane-mode': 'ambient' } } },
      class: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: GATEWAY_CLASS },
        spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
      },
      certificate: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'wildcard', namespace: GATEWAY_NAMESPACE },
        spec: {
          secretName: WILDCARD_CERTIFICATE_SECRET,
          dnsNames: [`*.${ctx.zoneName}`, ctx.zoneName],
          issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: wildcardIssuer(ctx) },
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        },
      },
    };
    for (const visibility of VISIBILITIES) {
      objects[`proxy-${visibility}`] = envoyProxy(ctx, visibility);
      objects[visibility] = gateway(ctx, visibility);
      objects[`redirect-${visibility}`] = httpsRedirect(visibility);
    }
    return objects;
  },
};
