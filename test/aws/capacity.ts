/**
 * The capacity model: what is pinned to the system node group of a settled
 * Environment render, against what that group offers at its minimum size.
 * Data and sources: capacity-data.ts.
 */
import {
  CHART_WORKLOADS,
  EKS_ADDON_PODS,
  ESTIMATE,
  EVICTION_HARD_MIB,
  INSTANCE_TYPES,
  VM_MEMORY_OVERHEAD,
  type InstanceType,
  type JsonObject,
  type Requests,
} from './capacity-data.js';

const SYSTEM_LABEL = 'platform.projectcatalyst.io/node-group';

/** Share of allocatable CPU and memory the pinned pods may request: the rest is for rolling updates, Jobs and growth. */
export const HEADROOM = 0.85;

export interface PinnedPods {
  name: string;
  /** Pods on the system nodes: replicas, or one per node for a DaemonSet. */
  pods: number;
  requests: Requests;
  daemonSet: boolean;
  estimated: boolean;
  onePerNode: boolean;
}

export interface NodeGroupShape {
  instanceType: string;
  nodes: number;
  maxPods: number;
  allocatable: Requests;
}

export interface CapacityReport {
  group: NodeGroupShape;
  pinned: PinnedPods[];
  pods: number;
  cpu: number;
  memory: number;
  problems: string[];
}

const forProvider = (r: JsonObject | undefined): JsonObject => ((r?.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;

export function cpuMillis(q: unknown): number {
  if (typeof q === 'number') return q * 1000;
  if (typeof q !== 'string') throw new Error(`not a CPU quantity: ${JSON.stringify(q)}`);
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

export function memoryMiB(q: unknown): number {
  if (typeof q === 'number') return q / 2 ** 20;
  if (typeof q !== 'string') throw new Error(`not a memory quantity: ${JSON.stringify(q)}`);
  const units: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 ** 2, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 };
  const match = /^([0-9.]+)([A-Za-z]*)$/.exec(q);
  const unit = units[match?.[2] ?? ''];
  if (match === null || unit === undefined) throw new Error(`not a memory quantity: ${q}`);
  return Number(match[1]) * unit;
}

/** Max pods of an instance type under the VPC CNI: EKS's eni-max-pods formula, or the prefix-delegation cap. */
export function maxPods(type: InstanceType, prefixDelegation: boolean): number {
  const secondaryIps = type.enis * (type.ipv4PerEni - 1);
  if (!prefixDelegation) return secondaryIps + 2;
  return Math.min(type.vcpu < 30 ? 110 : 250, secondaryIps * 16 + 2);
}

/** What the kubelet offers pods: capacity less VM overhead, kube-reserved (EKS/Bottlerocket formula) and the eviction threshold. */
export function allocatable(type: InstanceType, pods: number): Requests {
  const cores = type.vcpu;
  const reservedCpu = 60 + (cores >= 2 ? 10 : 0) + Math.max(0, Math.min(cores, 4) - 2) * 5 + Math.max(0, cores - 4) * 2.5;
  const memory = type.memoryGiB * 1024 * (1 - VM_MEMORY_OVERHEAD) - (11 * pods + 255) - EVICTION_HARD_MIB;
  return { cpu: cores * 1000 - reservedCpu, memory };
}

function requestsOf(value: unknown, fallback: Requests): { requests: Requests; estimated: boolean } {
  const r = (value ?? {}) as JsonObject;
  if (r.cpu === undefined && r.memory === undefined) return { requests: fallback, estimated: fallback === ESTIMATE };
  return { requests: { cpu: r.cpu === undefined ? 0 : cpuMillis(r.cpu), memory: r.memory === undefined ? 0 : memoryMiB(r.memory) }, estimated: false };
}

function selectsSystem(nodeSelector: unknown): boolean {
  return typeof nodeSelector === 'object' && nodeSelector !== null && (nodeSelector as JsonObject)[SYSTEM_LABEL] === 'system';
}

/** Whether a pod with these tolerations may run on nodes tainted CriticalAddonsOnly:NoSchedule. */
function toleratesSystem(tolerations: unknown): boolean {
  if (!Array.isArray(tolerations)) return false;
  return tolerations.some((t: JsonObject) => t.operator === 'Exists' && (t.key === undefined || t.key === 'CriticalAddonsOnly') && (t.effect === undefined || t.effect === 'NoSchedule'));
}

/** The VPC CNI's prefix delegation, as the composed vpc-cni add-on configures it. */
export function prefixDelegation(resources: Record<string, JsonObject>): boolean {
  const config = forProvider(resources['addon-vpc-cni']).configurationValues;
  if (typeof config !== 'string') return false;
  const env = ((JSON.parse(config) as JsonObject).env ?? {}) as JsonObject;
  return env.ENABLE_PREFIX_DELEGATION === 'true';
}

/** Every pod on the system nodes: chart workloads that select them, DaemonSets that tolerate them, and EKS's own pods. */
export function pinnedPods(resources: Record<string, JsonObject>, problems: string[]): PinnedPods[] {
  const pinned: PinnedPods[] = [];
  for (const [key, resource] of Object.entries(resources)) {
    if (resource.kind === 'Addon' && key.startsWith('addon-')) {
      const addon = forProvider(resource).addonName as string;
      const pods = EKS_ADDON_PODS[addon];
      if (pods === undefined) problems.push(`${key}: no pod data for EKS add-on ${addon}`);
      for (const p of pods ?? []) pinned.push({ name: `${addon}/${p.name}`, pods: p.replicas ?? 1, requests: p.requests, daemonSet: p.kind === 'DaemonSet', estimated: p.requests === ESTIMATE, onePerNode: false });
      continue;
    }
    if (resource.kind !== 'Release') continue;
    const release = forProvider(resource);
    const chart = (release.chart as JsonObject).name as string;
    const values = (release.values ?? {}) as JsonObject;
    const workloads = CHART_WORKLOADS[chart];
    if (workloads === undefined) {
      problems.push(`${key}: no workload data for chart ${chart} (add it to test/aws/capacity-data.ts)`);
      continue;
    }
    for (const w of workloads) {
      if (w.enabled !== undefined && !w.enabled(values)) continue;
      const { requests, estimated } = requestsOf(w.requests(values), w.defaultRequests ?? ESTIMATE);
      const daemonSet = w.kind === 'DaemonSet';
      const onSystem = daemonSet ? toleratesSystem(w.tolerations(values)) && (w.nodeSelector(values) === undefined || selectsSystem(w.nodeSelector(values))) : selectsSystem(w.nodeSelector(values));
      if (!onSystem) continue;
      if (!daemonSet && !toleratesSystem(w.tolerations(values))) problems.push(`${key}/${w.name}: selects the system nodes without tolerating their CriticalAddonsOnly taint`);
      const pods = daemonSet ? 1 : (w.replicas?.(values) ?? 1);
      if (pods > 0) pinned.push({ name: `${chart}/${w.name}`, pods, requests, daemonSet, estimated, onePerNode: w.onePerNode ?? false });
    }
  }
  return pinned.sort((a, b) => a.name.localeCompare(b.name));
}

/** The system node group at its minimum size, sized by the weakest instance type it may launch. */
export function systemNodeGroup(resources: Record<string, JsonObject>, problems: string[]): NodeGroupShape | undefined {
  const group = forProvider(resources['node-group-system']);
  const types = (group.instanceTypes ?? []) as string[];
  const nodes = (group.scalingConfig as { minSize?: number } | undefined)?.minSize;
  if (types.length === 0 || nodes === undefined) {
    problems.push('node-group-system: no instance types or minimum size');
    return undefined;
  }
  const pd = prefixDelegation(resources);
  const shapes = types.map((instanceType) => {
    const type = INSTANCE_TYPES[instanceType];
    if (type === undefined) throw new Error(`no data for instance type ${instanceType} (add it to test/aws/capacity-data.ts)`);
    const pods = maxPods(type, pd);
    return { instanceType, nodes, maxPods: pods, allocatable: allocatable(type, pods) };
  });
  return shapes.reduce((a, b) => (b.allocatable.cpu < a.allocatable.cpu || b.allocatable.memory < a.allocatable.memory || b.maxPods < a.maxPods ? b : a));
}

/** The model: everything pinned must fit the group at its minimum size, CPU and memory within HEADROOM. */
export function capacityReport(resources: Record<string, JsonObject>): CapacityReport {
  const problems: string[] = [];
  const pinned = pinnedPods(resources, problems);
  const group = systemNodeGroup(resources, problems);
  const nodes = group?.nodes ?? 0;
  const count = (p: PinnedPods) => (p.daemonSet ? nodes : p.pods);
  const pods = pinned.reduce((n, p) => n + count(p), 0);
  const cpu = pinned.reduce((n, p) => n + count(p) * p.requests.cpu, 0);
  const memory = pinned.reduce((n, p) => n + count(p) * p.requests.memory, 0);
  if (group !== undefined) {
    const at = `${nodes} x ${group.instanceType}`;
    if (pods > nodes * group.maxPods) problems.push(`pods: ${pods} pinned, ${at} hold ${nodes * group.maxPods} (${group.maxPods} each)`);
    const cpuCap = nodes * group.allocatable.cpu * HEADROOM;
    if (cpu > cpuCap) problems.push(`cpu: ${cpu.toFixed(0)}m requested, ${at} offer ${cpuCap.toFixed(0)}m within ${HEADROOM * 100}% of allocatable`);
    const memCap = nodes * group.allocatable.memory * HEADROOM;
    if (memory > memCap) problems.push(`memory: ${memory.toFixed(0)}Mi requested, ${at} offer ${memCap.toFixed(0)}Mi within ${HEADROOM * 100}% of allocatable`);
    for (const p of pinned) if (p.onePerNode && !p.daemonSet && p.pods > nodes) problems.push(`${p.name}: ${p.pods} replicas need distinct nodes, the group has ${nodes}`);
    // Three or more nodes spread over zones: the rest must hold everything while one is out (zone outage, node replaced).
    if (nodes >= 3) {
      const left = nodes - 1;
      const daemonSetsOn = (n: number, f: (p: PinnedPods) => number) => pinned.reduce((sum, p) => sum + (p.daemonSet ? n : p.pods) * f(p), 0);
      const lostPods = daemonSetsOn(left, () => 1);
      if (lostPods > left * group.maxPods) problems.push(`one node out: ${lostPods} pods, ${left} nodes hold ${left * group.maxPods}`);
      const lostCpu = daemonSetsOn(left, (p) => p.requests.cpu);
      if (lostCpu > left * group.allocatable.cpu) problems.push(`one node out: ${lostCpu.toFixed(0)}m requested, ${left} nodes offer ${(left * group.allocatable.cpu).toFixed(0)}m`);
      const lostMemory = daemonSetsOn(left, (p) => p.requests.memory);
      if (lostMemory > left * group.allocatable.memory) problems.push(`one node out: ${lostMemory.toFixed(0)}Mi requested, ${left} nodes offer ${(left * group.allocatable.memory).toFixed(0)}Mi`);
    }
    const daemonSets = pinned.filter((p) => p.daemonSet);
    const perNode = daemonSets.reduce((n, p) => n + p.requests.cpu, 0);
    if (perNode > group.allocatable.cpu * 0.5) problems.push(`DaemonSets take ${perNode}m of each node's ${group.allocatable.cpu}m`);
  }
  return { group: group ?? { instanceType: '', nodes: 0, maxPods: 0, allocatable: { cpu: 0, memory: 0 } }, pinned, pods, cpu, memory, problems };
}
