/**
 * Driving a render to its fully created state without a cluster: each
 * round's desired resources are fed back as observed, Ready, and reporting
 * what AWS would (ids, ARNs, endpoints). Tests check fully created states with
 * it; the bench measures the reconcile of a fully created XR with it.
 */
import { Severity, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { composeInProcess, type InProcessResult } from './in-process.js';

type JsonObject = Record<string, unknown>;

export type Resources = Record<string, JsonObject>;

/** Desired resources of a response, failing loudly on a Fatal. */
export function resourcesOf(response: RunFunctionResponse): Resources {
  const fatal = response.results.filter((r) => r.severity === Severity.SEVERITY_FATAL);
  if (fatal.length > 0) throw new Error(fatal.map((r) => r.message).join('; '));
  return Object.fromEntries(Object.entries(response.desired?.resources ?? {}).map(([k, v]) => [k, v.resource as JsonObject]));
}

/** Marks desired resources as observed: they exist, are Ready, and report `atProvider(key)`. */
export function observeAll(resources: Resources, atProvider: (key: string) => JsonObject = () => ({})): Resources {
  return Object.fromEntries(
    Object.entries(resources).map(([key, resource]) => [
      key,
      {
        ...resource,
        metadata: { ...(resource.metadata as JsonObject), annotations: { ...((resource.metadata as JsonObject).annotations as JsonObject), 'crossplane.io/composition-resource-name': key } },
        status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Synced', status: 'True' }], atProvider: atProvider(key) },
      },
    ]),
  );
}

/**
 * Renders until nothing waits any more, feeding each round's desired
 * resources back as observed and Ready: the state of a fully created XR.
 */
export function settle(render: (observed: Resources) => RunFunctionResponse, atProvider: (key: string) => JsonObject): { resources: Resources; response: RunFunctionResponse; rounds: number } {
  let observed: Resources = {};
  for (let round = 1; round <= 10; round++) {
    const response = render(observed);
    const resources = resourcesOf(response);
    const pending = (response.desired?.composite?.resource?.status as JsonObject | undefined)?.pendingResources;
    if (pending === undefined && Object.keys(resources).length === Object.keys(observed).length) return { resources, response, rounds: round };
    observed = observeAll(resources, atProvider);
  }
  throw new Error('did not settle in 10 rounds');
}

/** What AWS reports for the Environment resources whose values others wait on. */
export function environmentAtProvider(environment: string) {
  return (key: string): JsonObject => {
    switch (key) {
      case 'vpc':
        return { id: `vpc-${environment}` };
      case 'kms-key':
        return { arn: `arn:aws:kms:eu-central-1:111111111111:key/${environment}` };
      case 'cluster':
        return {
          endpoint: `https://${environment}.eks.example`,
          identity: [{ oidc: [{ issuer: `https://oidc.eks.eu-central-1.amazonaws.com/id/${environment.toUpperCase()}` }] }],
          vpcConfig: { clusterSecurityGroupId: `sg-${environment}` },
        };
      case 'launch-template-system':
        return { id: `lt-${environment}`, latestVersion: 1 };
      case 'role-ebs-csi':
        return { arn: `arn:aws:iam::111111111111:role/${environment}-role-ebs-csi` };
      case 'zone':
        return { zoneId: `Z${environment.toUpperCase()}ZONE`, nameServers: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.net'] };
      case 'zone-private':
        return { zoneId: `Z${environment.toUpperCase()}PRIVATE` };
      case 'database':
        return { address: `${environment}-database.example`, port: 5432 };
      case 'transit-gateway':
        // A Hub's: the RAM share waits for its ARN.
        return { id: `tgw-${environment}`, arn: `arn:aws:ec2:eu-central-1:444444444444:transit-gateway/tgw-${environment}`, ownerId: '444444444444' };
      case 'transit-gateway-attachment':
        return { id: `tgw-attach-${environment}` };
      default:
        // Roles report their ARN; some composers wait for one (Pod Identity, IRSA annotations).
        return key.startsWith('role-') ? { arn: `arn:aws:iam::111111111111:role/${environment}-${key}` } : {};
    }
  };
}

/**
 * The reconcile of the fully created `xr`, in-process: the last call of
 * {@link settle}, with the EnvironmentConfigs and other required resources
 * answered from `pool`. Ids are named after the XR's `spec.environment`, or its
 * name. Throws unless every round composes.
 */
export function settleInProcess(xr: JsonObject, pool: readonly JsonObject[]): InProcessResult {
  const spec = (xr.spec ?? {}) as JsonObject;
  const environment = typeof spec.environment === 'string' ? spec.environment : String((xr.metadata as JsonObject | undefined)?.name);
  let last: InProcessResult | undefined;
  settle((observed) => {
    last = composeInProcess(xr, pool, { observed });
    if (last.summary.outcome !== 'composed') throw new Error(`${String(xr.kind)} ${JSON.stringify(xr.metadata)}: ${last.summary.outcome} ${last.summary.message ?? ''}`);
    return last.response;
  }, environmentAtProvider(environment));
  if (last === undefined) throw new Error(`${String(xr.kind)}: nothing rendered`);
  return last;
}
