import { describe, expect, it } from 'vitest';
import type { RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { exampleRenders } from '../scripts/lib/examples.js';
import { composeInProcess } from '../scripts/lib/in-process.js';
import { computedFor } from '../scripts/lib/providers.js';
import { environmentRequired, hubRequired, readManifest, request, type JsonObject } from './helpers/requests.js';
import { environmentComputed, hubComputed, observeAll, resourcesOf, settle } from './helpers/settle.js';

interface WaitReason {
  resource: string;
  condition?: string;
  field?: string;
}

interface PendingReason {
  resource: string;
  waitingFor: WaitReason[];
}

const DEV = readManifest('examples/environment/dev.yaml');
const PROD = readManifest('examples/environment/prod.yaml');
const HUB_XR = readManifest('examples/hub/hub.yaml');
const HUB = readManifest('examples/required/hub.yaml');

function status(response: RunFunctionResponse): { pendingResources?: string[]; pendingReasons?: PendingReason[] } {
  return (response.desired?.composite?.resource?.status ?? {}) as { pendingResources?: string[]; pendingReasons?: PendingReason[] };
}

function renderEnvironment(xr: JsonObject, observed: Record<string, JsonObject> = {}, hubs: JsonObject[] = [HUB]): RunFunctionResponse {
  return runFunction(request(xr, { required: environmentRequired({ hubs }), observed }), { ttlSeconds: 60 }).response;
}

function renderHub(observed: Record<string, JsonObject> = {}): RunFunctionResponse {
  return runFunction(request(HUB_XR, { required: hubRequired(), observed }), { ttlSeconds: 60 }).response;
}

/** The observed state after `rounds` reconciles of an XR, every composed resource reported ready by its provider. */
function after(rounds: number, render: (observed: Record<string, JsonObject>) => RunFunctionResponse, computed: (key: string, resource: JsonObject) => JsonObject): Record<string, JsonObject> {
  let observed: Record<string, JsonObject> = {};
  for (let round = 0; round < rounds; round++) observed = observeAll(resourcesOf(render(observed)), computed);
  return observed;
}

function reasonsOf(response: RunFunctionResponse, resource: string): WaitReason[] | undefined {
  return status(response).pendingReasons?.find((p) => p.resource === resource)?.waitingFor;
}

describe('status.pendingReasons: why each pending resource waits', () => {
  const devComputed = environmentComputed('dev');
  const cases: Array<{ reason: string; response: () => RunFunctionResponse; resource: string; waitingFor: WaitReason[] }> = [
    {
      reason: 'the cluster is created with envelope encryption, so it waits for the KMS key to report its ARN',
      response: () => renderEnvironment(DEV),
      resource: 'cluster',
      waitingFor: [{ resource: 'kms-key', field: 'status.atProvider.arn' }],
    },
    {
      reason: 'nothing exists: the node group waits for the cluster and for the launch template id and version, all three unmet',
      response: () => renderEnvironment(DEV),
      resource: 'node-group-system',
      waitingFor: [
        { resource: 'cluster', condition: 'Ready' },
        { resource: 'launch-template-system', field: 'status.atProvider.id' },
        { resource: 'launch-template-system', field: 'status.atProvider.latestVersion' },
      ],
    },
    {
      reason: 'once the launch template is reported, only the cluster is still missing for the node group',
      response: () => renderEnvironment(DEV, after(1, (o) => renderEnvironment(DEV, o), devComputed)),
      resource: 'node-group-system',
      waitingFor: [{ resource: 'cluster', condition: 'Ready' }],
    },
    {
      reason: 'the delegation record is written from the zone\'s name servers, which Route53 reports once the zone exists',
      response: () => renderEnvironment(DEV),
      resource: 'zone-delegation',
      waitingFor: [{ resource: 'zone', field: 'status.atProvider.nameServers' }],
    },
    {
      reason: 'the EBS CSI add-on needs the cluster, schedulable nodes and the Pod Identity role ARN',
      response: () => renderEnvironment(DEV),
      resource: 'addon-aws-ebs-csi-driver',
      waitingFor: [
        { resource: 'cluster', condition: 'Ready' },
        { resource: 'node-group-system', condition: 'Ready' },
        { resource: 'role-ebs-csi', field: 'status.atProvider.arn' },
      ],
    },
    {
      reason: 'with the cluster ready, a release still waits for the system nodes, the kubeconfig, the ProviderConfigs to exist and its own identity',
      response: () => renderEnvironment(DEV, after(2, (o) => renderEnvironment(DEV, o), devComputed)),
      resource: 'release-cert-manager',
      waitingFor: [
        { resource: 'node-group-system', condition: 'Ready' },
        { resource: 'cluster-auth', condition: 'Ready' },
        { resource: 'provider-config-helm' },
        { resource: 'provider-config-kubernetes' },
        { resource: 'pod-identity-cert-manager', condition: 'Ready' },
      ],
    },
    {
      reason: 'once the cluster is open, an add-on\'s objects wait only for its release (the CRDs they are instances of)',
      response: () => renderEnvironment(DEV, after(3, (o) => renderEnvironment(DEV, o), devComputed)),
      resource: 'object-cert-manager-issuer',
      waitingFor: [{ resource: 'release-cert-manager', condition: 'Ready' }],
    },
    {
      reason: "a team's Application waits for Argo CD, its AppProject (Argo CD refuses an Application of an unknown project) and its destination namespace",
      response: () => renderEnvironment(DEV),
      resource: 'object-team-access-application-forge-forge-api',
      waitingFor: [
        { resource: 'release-argo-cd', condition: 'Ready' },
        { resource: 'object-team-access-appproject-forge', condition: 'Ready' },
        { resource: 'object-team-access-namespace-forge-api', condition: 'Ready' },
      ],
    },
    {
      reason: "once Argo CD runs, a team's Application waits only for its AppProject and namespace",
      response: () => renderEnvironment(DEV, after(4, (o) => renderEnvironment(DEV, o), devComputed)),
      resource: 'object-team-access-application-forge-forge-api',
      waitingFor: [
        { resource: 'object-team-access-appproject-forge', condition: 'Ready' },
        { resource: 'object-team-access-namespace-forge-api', condition: 'Ready' },
      ],
    },
    {
      reason: 'a spoke whose Hub has not published its Transit Gateway waits for the Hub\'s status, a resource it reads and does not compose',
      response: () => renderEnvironment(PROD, {}, [{ ...HUB, status: {} }]),
      resource: 'transit-gateway-attachment',
      waitingFor: [
        { resource: 'Hub network-hub/hub', field: 'status.transitGatewayId' },
        { resource: 'Hub network-hub/hub', field: 'status.routeTables' },
      ],
    },
    {
      reason: 'the route to the Hub waits for the attachment to be accepted by the network account',
      response: () => renderEnvironment(PROD),
      resource: 'route-private-egress-a',
      waitingFor: [{ resource: 'transit-gateway-attachment-accepter', condition: 'Ready' }],
    },
    {
      reason: 'the Hub shares its Transit Gateway by ARN, reported once it exists',
      response: () => renderHub(),
      resource: 'ram-association-transit-gateway',
      waitingFor: [{ resource: 'transit-gateway', field: 'status.atProvider.arn' }],
    },
    {
      reason: 'the Prometheus workspace (aws-managed) is encrypted at creation with the environment key and logs to its own group, so it waits for both',
      response: () => renderEnvironment(PROD),
      resource: 'amp-workspace',
      waitingFor: [
        { resource: 'kms-key', field: 'status.atProvider.arn' },
        { resource: 'log-group-amp', condition: 'Ready' },
      ],
    },
    {
      reason: 'a Usage protecting the cluster from its node group waits for both to be composed',
      response: () => renderEnvironment(DEV),
      resource: 'usage-cluster-by-node-group-system',
      waitingFor: [{ resource: 'cluster' }, { resource: 'node-group-system' }],
    },
  ];
  for (const c of cases) {
    it(c.reason, () => {
      const response = c.response();
      expect(status(response).pendingResources).toContain(c.resource);
      expect(reasonsOf(response, c.resource)).toEqual(c.waitingFor);
    });
  }

  it('every pending resource of every example, in every reconcile until nothing waits, says what it waits for; the names stay in pendingResources', () => {
    for (const example of exampleRenders().filter((e) => e.input.xr.kind === 'Environment' || e.input.xr.kind === 'Hub')) {
      let rounds = 0;
      settle((observed) => {
        const { response } = composeInProcess(example.input.xr, example.input.requiredResources, { observed });
        const { pendingResources, pendingReasons } = status(response);
        rounds++;
        expect(pendingReasons?.map((p) => p.resource), `${example.file} round ${rounds}`).toEqual(pendingResources);
        for (const pending of pendingReasons ?? []) expect(pending.waitingFor.length, `${example.file} round ${rounds}: ${pending.resource}`).toBeGreaterThan(0);
        return response;
      }, computedFor(example.input.xr));
      expect(rounds, example.file).toBeGreaterThan(1);
    }
  });

  it('a fully created Hub reports neither pendingResources nor pendingReasons', () => {
    const settled = settle((observed) => renderHub(observed), hubComputed);
    expect(status(settled.response)).not.toHaveProperty('pendingResources');
    expect(status(settled.response)).not.toHaveProperty('pendingReasons');
  });
});
