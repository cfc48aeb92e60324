import { runBytes } from './helpers/outcome.js';
import { composedResponse as expectedComposed, fatalResponse as fatal, tableTests, type ExpectedResources, type TableCase, MISSING_PLATFORM_ENVIRONMENT } from './helpers/responses.js';
import { describe, expect, it } from 'vitest';
import { Ready, RunFunctionResponse, Severity, type RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { configWith, networkXr, reverseKeys } from './helpers/project-xrs.js';
import { PLATFORM_ENVIRONMENT_REQUIREMENT, platformEnvironment, request, withPlatformEnvironment, type JsonObject } from './helpers/requests.js';

const ZONE = 'dev.eu-central-1.projectcatalyst.io';


function labels(visibility = 'public'): JsonObject {
  return {
    'app.kubernetes.io/managed-by': 'crossplane',
    'app.kubernetes.io/part-of': 'catalyst-forge',
    'platform.projectcatalyst.io/network': 'api',
    'platform.projectcatalyst.io/visibility': visibility,
  };
}

const PUBLIC_GATEWAY = { name: 'public', namespace: 'envoy-gateway-system', sectionName: 'https' };
const INTERNAL_GATEWAY = { name: 'internal', namespace: 'envoy-gateway-system', sectionName: 'https' };

interface RouteOptions {
  visibility?: string;
  parent?: JsonObject;
  hostname?: string;
  matches?: JsonObject[];
  backend?: JsonObject;
}

function route(options: RouteOptions = {}): JsonObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { labels: labels(options.visibility), name: 'api', namespace: 'forge-api' },
    spec: {
      hostnames: [options.hostname ?? `api.${ZONE}`],
      parentRefs: [options.parent ?? PUBLIC_GATEWAY],
      rules: [
        {
          backendRefs: [options.backend ?? { name: 'api', port: 8080 }],
          matches: options.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }],
        },
      ],
    },
  };
}

function authorization(principals: string[], selector: JsonObject = { 'app.kubernetes.io/name': 'api' }, visibility = 'public'): JsonObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { labels: labels(visibility), name: 'api', namespace: 'forge-api' },
    spec: { action: 'ALLOW', rules: [{ from: [{ source: { principals } }] }], selector: { matchLabels: selector } },
  };
}

const GATEWAY_PRINCIPAL = 'cluster.local/ns/envoy-gateway-system/sa/envoy-public';

function trafficPolicy(spec: JsonObject): JsonObject {
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'BackendTrafficPolicy',
    metadata: { labels: labels(), name: 'api', namespace: 'forge-api' },
    spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'api' }], ...spec },
  };
}

function status(hostname = `api.${ZONE}`, gateway = 'envoy-gateway-system/public'): JsonObject {
  return { gateway, hostname, url: `https://${hostname}` };
}

type Desired = ExpectedResources;

function composedResponse(resources: Desired, xrStatus: JsonObject): RunFunctionResponse {
  return expectedComposed('Network', resources, xrStatus);
}

function fatalResponse(message: string): RunFunctionResponse {
  return fatal(`cannot compose Network forge-api/api: ${message}`);
}

const FATAL_WITHOUT_CONFIG = fatalResponse(MISSING_PLATFORM_ENVIRONMENT);

const NOT_READY = Ready.READY_FALSE;

/** Observed objects as the API server returns them, with the status the controllers write. */
function observed(resource: JsonObject, name: string, extra: JsonObject = {}): JsonObject {
  const metadata = resource.metadata as JsonObject;
  return { ...resource, metadata: { ...metadata, uid: 'u-1', annotations: { 'crossplane.io/composition-resource-name': name } }, ...extra };
}

function parentStatus(parent: JsonObject, accepted: string, resolved: string): JsonObject {
  return {
    status: {
      parents: [
        {
          controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
          parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', ...parent },
          conditions: [
            { type: 'Accepted', status: accepted, reason: 'Accepted' },
            { type: 'ResolvedRefs', status: resolved, reason: 'ResolvedRefs' },
          ],
        },
      ],
    },
  };
}

const minimal = { service: { port: 8080 }, hostname: 'api' };

const cases: Record<string, TableCase> = {
  WithoutPlatformEnvironmentIsFatal: {
    reason: 'A Composition that does not have Crossplane fetch platform-environment is refused, naming what to install; the function never asks for it itself.',
    req: request(networkXr(minimal)),
    want: FATAL_WITHOUT_CONFIG,
  },
  ComposesPublicWithDefaults: {
    reason: 'Defaults: service named like the Network, path / as a prefix, public gateway, only the gateway admitted, no traffic policy.',
    req: request(networkXr(minimal), { required: withPlatformEnvironment() }),
    want: composedResponse(
      { route: { resource: route(), ready: NOT_READY }, 'authorization-policy': { resource: authorization([GATEWAY_PRINCIPAL]), ready: NOT_READY } },
      status(),
    ),
  },
  InternalAttachesToInternalGateway: {
    reason: 'visibility internal picks the internal Gateway and admits its proxies, not the public ones.',
    req: request(networkXr({ ...minimal, visibility: 'internal' }), { required: withPlatformEnvironment() }),
    want: composedResponse(
      {
        route: { resource: route({ visibility: 'internal', parent: INTERNAL_GATEWAY }), ready: NOT_READY },
        'authorization-policy': {
          resource: authorization(['cluster.local/ns/envoy-gateway-system/sa/envoy-internal'], undefined, 'internal'),
          ready: NOT_READY,
        },
      },
      status(`api.${ZONE}`, 'envoy-gateway-system/internal'),
    ),
  },
  PathsServiceAndSelector: {
    reason: 'Paths keep their order in one rule; an explicit service name and pod selector are used as given.',
    req: request(
      networkXr({
        service: { name: 'api-v2', port: 443, selector: { app: 'api' } },
        hostname: 'forge',
        paths: [{ path: '/v1' }, { path: '/healthz', type: 'Exact' }],
      }),
      { required: withPlatformEnvironment() },
    ),
    want: composedResponse(
      {
        route: {
          resource: route({
            hostname: `forge.${ZONE}`,
            backend: { name: 'api-v2', port: 443 },
            matches: [{ path: { type: 'PathPrefix', value: '/v1' } }, { path: { type: 'Exact', value: '/healthz' } }],
          }),
          ready: NOT_READY,
        },
        'authorization-policy': { resource: authorization([GATEWAY_PRINCIPAL], { app: 'api' }), ready: NOT_READY },
      },
      status(`forge.${ZONE}`),
    ),
  },
  CallersSortedAndDeduplicated: {
    reason: 'Callers become principals under the mesh trust domain, sorted and listed once, whatever the input order.',
    req: request(
      networkXr({
        ...minimal,
        allowedCallers: [
          { namespace: 'forge-worker', serviceAccount: 'worker' },
          { namespace: 'billing', serviceAccount: 'invoicer' },
          { namespace: 'forge-worker', serviceAccount: 'worker' },
        ],
      }),
      { required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => ((d.mesh as JsonObject).trustDomain = 'forge.example'))) },
    ),
    want: composedResponse(
      {
        route: { resource: route(), ready: NOT_READY },
        'authorization-policy': {
          resource: authorization([
            'forge.example/ns/billing/sa/invoicer',
            'forge.example/ns/envoy-gateway-system/sa/envoy-public',
            'forge.example/ns/forge-worker/sa/worker',
          ]),
          ready: NOT_READY,
        },
      },
      status(),
    ),
  },
  TrafficPolicy: {
    reason: 'Timeouts, retries (safe triggers, plus listed status codes sorted once) and the rate limit go into one BackendTrafficPolicy on the route.',
    req: request(
      networkXr({
        ...minimal,
        timeouts: { request: '30s', idle: '5m', connect: '2s' },
        retries: { attempts: 3, perTryTimeout: '10s', statusCodes: [503, 502, 503] },
        rateLimit: { requestsPerMinute: 600 },
      }),
      { required: withPlatformEnvironment() },
    ),
    want: composedResponse(
      {
        route: { resource: route(), ready: NOT_READY },
        'authorization-policy': { resource: authorization([GATEWAY_PRINCIPAL]), ready: NOT_READY },
        'traffic-policy': {
          resource: trafficPolicy({
            rateLimit: { local: { rules: [{ limit: { requests: 600, unit: 'Minute' } }] }, type: 'Local' },
            retry: {
              numRetries: 3,
              perRetry: { timeout: '10s' },
              retryOn: { httpStatusCodes: [502, 503], triggers: ['connect-failure', 'refused-stream', 'reset-before-request', 'retriable-status-codes'] },
            },
            timeout: { http: { connectionIdleTimeout: '5m', requestTimeout: '30s' }, tcp: { connectTimeout: '2s' } },
          }),
          ready: NOT_READY,
        },
      },
      status(),
    ),
  },
  OnlyATimeout: {
    reason: 'A lone request timeout makes a policy with just that; nothing else is emitted.',
    req: request(networkXr({ ...minimal, timeouts: { request: '15s' } }), { required: withPlatformEnvironment() }),
    want: composedResponse(
      {
        route: { resource: route(), ready: NOT_READY },
        'authorization-policy': { resource: authorization([GATEWAY_PRINCIPAL]), ready: NOT_READY },
        'traffic-policy': { resource: trafficPolicy({ timeout: { http: { requestTimeout: '15s' } } }), ready: NOT_READY },
      },
      status(),
    ),
  },
  AcceptedRouteIsReady: {
    reason: 'A route accepted by its Gateway with resolved backends, an existing policy and an accepted traffic policy are ready.',
    req: request(networkXr({ ...minimal, rateLimit: { requestsPerMinute: 60 } }), {
      required: withPlatformEnvironment(),
      observed: {
        route: observed(route(), 'route', parentStatus(PUBLIC_GATEWAY, 'True', 'True')),
        'authorization-policy': observed(authorization([GATEWAY_PRINCIPAL]), 'authorization-policy'),
        'traffic-policy': observed(trafficPolicy({}), 'traffic-policy', {
          status: { ancestors: [{ ancestorRef: { name: 'public' }, conditions: [{ type: 'Accepted', status: 'True' }] }] },
        }),
      },
    }),
    want: composedResponse(
      {
        route: { resource: route(), ready: Ready.READY_TRUE },
        'authorization-policy': { resource: authorization([GATEWAY_PRINCIPAL]), ready: Ready.READY_TRUE },
        'traffic-policy': { resource: trafficPolicy({ rateLimit: { local: { rules: [{ limit: { requests: 60, unit: 'Minute' } }] }, type: 'Local' } }), ready: Ready.READY_TRUE },
      },
      status(),
    ),
  },
  UnresolvedBackendIsNotReady: {
    reason: 'A route whose Service does not resolve (ResolvedRefs False) is not ready.',
    req: request(networkXr(minimal), {
      required: withPlatformEnvironment(),
      observed: { route: observed(route(), 'route', parentStatus(PUBLIC_GATEWAY, 'True', 'False')) },
    }),
    want: composedResponse(
      { route: { resource: route(), ready: NOT_READY }, 'authorization-policy': { resource: authorization([GATEWAY_PRINCIPAL]), ready: NOT_READY } },
      status(),
    ),
  },
  AcceptedByAnotherGatewayIsNotReady: {
    reason: "Acceptance counts only from this Network's own Gateway.",
    req: request(networkXr(minimal), {
      required: withPlatformEnvironment(),
      observed: { route: observed(route(), 'route', parentStatus(INTERNAL_GATEWAY, 'True', 'True')) },
    }),
    want: composedResponse(
      { route: { resource: route(), ready: NOT_READY }, 'authorization-policy': { resource: authorization([GATEWAY_PRINCIPAL]), ready: NOT_READY } },
      status(),
    ),
  },
  ClearingTrafficSettingsRemovesPolicy: {
    reason: 'With no timeouts, retries or rate limit left, the observed traffic policy is removed on purpose (it holds no data).',
    req: request(networkXr(minimal), { required: withPlatformEnvironment(), observed: { 'traffic-policy': observed(trafficPolicy({}), 'traffic-policy') } }),
    want: composedResponse(
      { route: { resource: route(), ready: NOT_READY }, 'authorization-policy': { resource: authorization([GATEWAY_PRINCIPAL]), ready: NOT_READY } },
      status(),
    ),
  },

  AuditAdmitsTheMeshAndDryRunsTheExactPolicy: {
    reason: 'enforcement audit: the enforced policy admits any mesh identity (callers outside the mesh stay refused) and the exact policy runs beside it as an Istio dry-run copy.',
    req: request(networkXr({ ...minimal, enforcement: 'audit', allowedCallers: [{ namespace: 'forge-worker', serviceAccount: 'worker' }] }), { required: withPlatformEnvironment() }),
    want: composedResponse(
      {
        route: { resource: route(), ready: NOT_READY },
        'authorization-policy': { resource: authorization(['*']), ready: NOT_READY },
        'authorization-policy-audit': {
          resource: ((p: JsonObject) => ({ ...p, metadata: { ...(p.metadata as JsonObject), name: 'api-audit', annotations: { 'istio.io/dry-run': 'true' } } }))(
            authorization([GATEWAY_PRINCIPAL, 'cluster.local/ns/forge-worker/sa/worker']),
          ),
          ready: NOT_READY,
        },
      },
      status(),
    ),
  },
  EnforceDropsTheDryRunCopy: {
    reason: 'Switching back to enforce removes the observed dry-run copy on purpose and enforces the exact principals.',
    req: request(networkXr(minimal), { required: withPlatformEnvironment(), observed: { 'authorization-policy-audit': observed(authorization([GATEWAY_PRINCIPAL]), 'authorization-policy-audit') } }),
    want: composedResponse({ route: { resource: route(), ready: NOT_READY }, 'authorization-policy': { resource: authorization([GATEWAY_PRINCIPAL]), ready: NOT_READY } }, status()),
  },
  BadEnforcement: {
    reason: 'enforcement is audit or enforce; anything else would leave the policy state unclear.',
    req: request(networkXr({ ...minimal, enforcement: 'off' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.enforcement: must be one of "audit", "enforce"'),
  },

  // Bad input: each a Fatal naming the field.
  HostnameNotDnsLabel: {
    reason: 'The hostname is one DNS label: no dots, capitals or underscores.',
    req: request(networkXr({ ...minimal, hostname: 'api.v2' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.hostname: must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit'),
  },
  HostnameTooLong: {
    reason: 'A DNS label has at most 63 characters.',
    req: request(networkXr({ ...minimal, hostname: 'a'.repeat(64) }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.hostname: too big: expected string to have <=63 characters'),
  },
  HostnameTooLongForZone: {
    reason: 'The full host name must fit in 253 characters under the zone.',
    req: request(networkXr({ ...minimal, hostname: 'a'.repeat(63) }), {
      required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => (d.zone = `${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.com`))),
    }),
    want: fatalResponse(
      `spec.hostname: "${'a'.repeat(63)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.com" is longer than 253 characters`,
    ),
  },
  MissingHostname: {
    reason: 'hostname is required.',
    req: request(networkXr({ service: { port: 8080 } }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.hostname: required field is missing'),
  },
  PortOutOfRange: {
    reason: 'Ports run from 1 to 65535.',
    req: request(networkXr({ service: { port: 70000 }, hostname: 'api' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.service.port: too big: expected number to be <=65535'),
  },
  PortZero: {
    reason: 'Port 0 is not a port.',
    req: request(networkXr({ service: { port: 0 }, hostname: 'api' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.service.port: too small: expected number to be >=1'),
  },
  PortNotInteger: {
    reason: 'A fractional port is refused by path.',
    req: request(networkXr({ service: { port: 80.5 }, hostname: 'api' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.service.port: expected a whole number from 1 to 65535, got a fraction'),
  },
  ServiceNameNotRfc1035: {
    reason: 'Service names start with a letter.',
    req: request(networkXr({ service: { name: '9api', port: 80 }, hostname: 'api' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.service.name: must be a Service name: lowercase letters, digits and "-", starting with a letter'),
  },
  DefaultServiceNameNotRfc1035: {
    reason: 'When metadata.name cannot be a Service name, the Fatal says to set spec.service.name.',
    req: request(networkXr(minimal, { name: 'api.v2' }), { required: withPlatformEnvironment() }),
    want: {
      ...fatalResponse(''),
      results: [
        {
          severity: Severity.SEVERITY_FATAL,
          message: 'cannot compose Network forge-api/api.v2: spec.service.name: required because metadata.name "api.v2" is not a Service name (a DNS label starting with a letter)',
        },
      ],
    },
  },
  SelectorProtoKey: {
    reason: 'A __proto__ label key, which a plain record would drop silently, is refused like any bad label key.',
    req: request(networkXr({ ...minimal, service: { port: 8080, selector: JSON.parse('{"app":"api","__proto__":"x"}') as JsonObject } }), {
      required: withPlatformEnvironment(),
    }),
    want: fatalResponse('spec.service.selector: "__proto__" is not a label key ([prefix/]name, at most 253 characters)'),
  },
  SelectorHugeKey: {
    reason: 'A huge label key is named shortened, so the message stays readable.',
    req: request(networkXr({ ...minimal, service: { port: 8080, selector: { ['k'.repeat(300)]: 'v' } } }), { required: withPlatformEnvironment() }),
    want: fatalResponse(`spec.service.selector: "${'k'.repeat(40)}..." is not a label key ([prefix/]name, at most 253 characters)`),
  },
  DuplicatePaths: {
    reason: 'The same path twice is a mistake, whatever the match type.',
    req: request(networkXr({ ...minimal, paths: [{ path: '/api' }, { path: '/web' }, { path: '/api', type: 'Exact' }] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.paths[2].path: "/api" duplicates spec.paths[0].path ("/api"); list each path once'),
  },
  DuplicatePathsByTrailingSlash: {
    reason: 'The Gateway API matches /api and /api/ prefixes alike.',
    req: request(networkXr({ ...minimal, paths: [{ path: '/api/' }, { path: '/api' }] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.paths[1].path: "/api" duplicates spec.paths[0].path ("/api/"); list each path once'),
  },
  PathNotAbsolute: {
    reason: 'Paths start with /.',
    req: request(networkXr({ ...minimal, paths: [{ path: 'api' }] }), { required: withPlatformEnvironment() }),
    want: fatalResponse(
      "spec.paths[0].path: must be an absolute URL path such as /api (letters, digits and -._~!$&'()*+,;=:@/ or %XX)",
    ),
  },
  PathWithDotSegment: {
    reason: 'The Gateway API refuses /../ in a path; so does the function, naming the entry.',
    req: request(networkXr({ ...minimal, paths: [{ path: '/' }, { path: '/a/../etc' }] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.paths[1].path: must not contain "/../"'),
  },
  PathWithEncodedSlash: {
    reason: 'An encoded slash would route around prefix matching.',
    req: request(networkXr({ ...minimal, paths: [{ path: '/a%2Fb' }] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.paths[0].path: must not contain an encoded "/" (%2F)'),
  },
  NoPaths: {
    reason: 'An empty path list routes nothing.',
    req: request(networkXr({ ...minimal, paths: [] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.paths: too small: expected array to have >=1 items'),
  },
  RegularExpressionPath: {
    reason: 'Regular expressions are implementation-specific in the Gateway API and not offered.',
    req: request(networkXr({ ...minimal, paths: [{ path: '/a', type: 'RegularExpression' }] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.paths[0].type: must be one of "PathPrefix", "Exact"'),
  },
  CallerBadNamespace: {
    reason: 'A caller namespace must be a namespace name.',
    req: request(networkXr({ ...minimal, allowedCallers: [{ namespace: 'Forge_Worker', serviceAccount: 'worker' }] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.allowedCallers[0].namespace: must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit'),
  },
  CallerBadServiceAccount: {
    reason: 'A caller service account must be a service-account name; a wildcard is not one.',
    req: request(networkXr({ ...minimal, allowedCallers: [{ namespace: 'ok', serviceAccount: 'worker' }, { namespace: 'forge-worker', serviceAccount: '*' }] }), {
      required: withPlatformEnvironment(),
    }),
    want: fatalResponse('spec.allowedCallers[1].serviceAccount: must be a DNS subdomain: lowercase letters, digits, "-" and "."'),
  },
  CallerWithoutServiceAccount: {
    reason: 'A caller is a namespace and a service account; a whole namespace is not admitted.',
    req: request(networkXr({ ...minimal, allowedCallers: [{ namespace: 'forge-worker' }] }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.allowedCallers[0].serviceAccount: required field is missing'),
  },
  BadDuration: {
    reason: 'Durations are Gateway API durations.',
    req: request(networkXr({ ...minimal, timeouts: { request: '30 seconds' } }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.timeouts.request: must be a duration such as 30s, 1m or 500ms'),
  },
  TooManyRetries: {
    reason: 'At most 5 retries: more multiplies load on a failing service.',
    req: request(networkXr({ ...minimal, retries: { attempts: 10 } }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.retries.attempts: too big: expected number to be <=5'),
  },
  ZeroRateLimit: {
    reason: 'A rate limit of zero would refuse everything.',
    req: request(networkXr({ ...minimal, rateLimit: { requestsPerMinute: 0 } }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.rateLimit.requestsPerMinute: too small: expected number to be >=1'),
  },
  UnknownVisibility: {
    reason: 'Only public and internal exist.',
    req: request(networkXr({ ...minimal, visibility: 'private' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec.visibility: must be one of "public", "internal"'),
  },
  UnknownField: {
    reason: 'A misspelled field is an error, not silently ignored, and the nearest known field is suggested.',
    req: request(networkXr({ ...minimal, ratelimit: { requestsPerMinute: 5 } }), { required: withPlatformEnvironment() }),
    want: fatalResponse('spec: unknown field "ratelimit" (did you mean "rateLimit"?)'),
  },
  MetadataNameTooLong: {
    reason: 'The name labels every composed object, and label values stop at 63 characters.',
    req: request(networkXr({ service: { port: 80, name: 'api' }, hostname: 'api' }, { name: 'n'.repeat(64) }), { required: withPlatformEnvironment() }),
    want: {
      ...fatalResponse(''),
      results: [
        {
          severity: Severity.SEVERITY_FATAL,
          message: `cannot compose Network forge-api/${'n'.repeat(64)}: metadata.name: must be at most 63 characters (it labels every composed object)`,
        },
      ],
    },
  },

  // Config: each missing section is a Fatal naming it, never a default.
  MissingConfig: {
    reason: 'No platform-environment: a Fatal naming it.',
    req: request(networkXr(minimal), { required: { [PLATFORM_ENVIRONMENT_REQUIREMENT]: [] } }),
    want: fatalResponse('cannot find EnvironmentConfig "platform-environment": it is required and does not exist'),
  },
  ConfigWithoutZone: {
    reason: 'Without a zone there is no host name.',
    req: request(networkXr(minimal), { required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => delete d.zone)) }),
    want: fatalResponse('cannot name the host: EnvironmentConfig "platform-environment" has no data.zone'),
  },
  ConfigWithoutGateways: {
    reason: 'Without gateways there is nothing to attach to.',
    req: request(networkXr(minimal), { required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => delete d.gateways)) }),
    want: fatalResponse('cannot attach the route: EnvironmentConfig "platform-environment" has no data.gateways'),
  },
  ConfigWithoutGatewayIdentity: {
    reason: "Without the gateway proxies' service account the policy could not admit the gateway.",
    req: request(networkXr({ ...minimal, visibility: 'internal' }), {
      required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => delete ((d.gateways as JsonObject).internal as JsonObject).serviceAccount)),
    }),
    want: fatalResponse('cannot admit the gateway to the service: EnvironmentConfig "platform-environment" has no data.gateways.internal.serviceAccount'),
  },
  ConfigWithoutMesh: {
    reason: 'Principals need the trust domain.',
    req: request(networkXr(minimal), { required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => delete d.mesh)) }),
    want: fatalResponse('cannot admit callers by identity: EnvironmentConfig "platform-environment" has no data.mesh'),
  },
  ConfigWithBadGateway: {
    reason: 'Bad gateway data names the config and the field.',
    req: request(networkXr(minimal), {
      required: withPlatformEnvironment(configWith(platformEnvironment(), (d) => (((d.gateways as JsonObject).public as JsonObject).sectionName = 'HTTPS'))),
    }),
    want: fatalResponse('cannot use EnvironmentConfig "platform-environment": data.gateways.public.sectionName: must be a DNS subdomain: lowercase letters, digits, "-" and "."'),
  },
};

describe('RunFunction for Network', () => {
  tableTests(cases);

  it('answers junk in the spec with a Fatal naming a field, never an exception', () => {
    const junk: unknown[] = [null, 7, 'api', [], { service: 'api', hostname: 'api' }, { service: { port: '8080' }, hostname: 'api' }, { service: { port: 80 }, hostname: 'ａpi' }];
    for (const spec of junk) {
      const { response } = runFunction(request({ ...networkXr({}), spec }, { required: withPlatformEnvironment() }), { ttlSeconds: 60 });
      expect(response.results).toHaveLength(1);
      expect(response.results[0]?.severity).toBe(Severity.SEVERITY_FATAL);
      expect(response.results[0]?.message).toMatch(/^cannot compose Network forge-api\/api: spec/);
    }
  });
});

describe('Network determinism', () => {
  const bytes = (req: RunFunctionRequest) => runBytes(req);
  const full = networkXr({
    service: { port: 8080, selector: { tier: 'api', app: 'forge' } },
    hostname: 'api',
    paths: [{ path: '/v1' }, { path: '/v2' }],
    allowedCallers: [
      { namespace: 'zeta', serviceAccount: 'z' },
      { namespace: 'alpha', serviceAccount: 'a' },
    ],
    timeouts: { request: '30s' },
    retries: { attempts: 2, statusCodes: [504, 502] },
    rateLimit: { requestsPerMinute: 100 },
  });

  it('gives byte-identical responses for the same request, whatever the key order of the input', () => {
    const req = request(full, { required: withPlatformEnvironment() });
    expect(bytes(req).equals(bytes(structuredClone(req)))).toBe(true);
    expect(bytes(reverseKeys(req)).equals(bytes(req))).toBe(true);
  });

  it('gives the same policy whatever the order of the callers', () => {
    const spec = full.spec as JsonObject;
    const reordered = { ...full, spec: { ...spec, allowedCallers: [...(spec.allowedCallers as unknown[])].reverse() } };
    const a = runFunction(request(full, { required: withPlatformEnvironment() }), { ttlSeconds: 60 }).response;
    const b = runFunction(request(reordered, { required: withPlatformEnvironment() }), { ttlSeconds: 60 }).response;
    expect(b.desired?.resources['authorization-policy']).toEqual(a.desired?.resources['authorization-policy']);
  });
});
