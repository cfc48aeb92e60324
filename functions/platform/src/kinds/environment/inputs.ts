import { FatalError, throwProblems, type Problem } from '../../errors.js';
import { BASE_CONFIG, ENVIRONMENT_CONFIGS_REQUIREMENT, ENVIRONMENT_LABEL, type PlatformConfig } from '../../environment-config/platform-config.js';
import { mergePatch, type FetchedResources } from '../../environment-config/resolve.js';
import { overlaps, parseCidr, privateRangeProblem, subnetLayout, type Ipv4Block } from '../../resources/cidr.js';
import { zoneSlots } from '../../resources/aws/zones.js';
import { API_GROUP_VERSION, type XrIdentity } from '../../composite.js';
import type { RequiredResources } from '../kind.js';
import type { AwsInputs, HubAttachment } from './context.js';
import type { EnvironmentSpec } from './schema.js';

/**
 * Every Hub, fetched before each call: which one an Environment attaches to is
 * in its spec, which the Composition cannot see, and a platform has one or
 * two. The function picks the referenced one.
 */
export const hubsRequirement: FetchedResources = { requirementName: 'hubs', apiVersion: API_GROUP_VERSION, kind: 'Hub' };

/**
 * Every Environment, fetched before each call (the list includes the XR
 * itself, which the checks skip): an Environment is refused when it would
 * collide with another one, on names in an account or on addresses behind
 * the same Hub.
 */
export const environmentsRequirement: FetchedResources = { requirementName: 'environments', apiVersion: API_GROUP_VERSION, kind: 'Environment' };

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function metadataOf(resource: JsonObject): { name?: string; namespace?: string; creationTimestamp?: string; labels?: Record<string, unknown> } {
  const metadata = isObject(resource.metadata) ? resource.metadata : {};
  return { name: str(metadata.name), namespace: str(metadata.namespace), creationTimestamp: str(metadata.creationTimestamp), labels: isObject(metadata.labels) ? metadata.labels : {} };
}

function cidrOf(text: string | undefined): Ipv4Block | undefined {
  if (text === undefined) return undefined;
  try {
    return parseCidr(text);
  } catch {
    return undefined;
  }
}

/** What the checks need of another Environment: read leniently, since another one may itself be invalid. */
interface OtherEnvironment {
  ref: string;
  /** Sort key: older first (creation time, then namespace/name when the time is unknown or equal). */
  order: string;
  environment: string;
  region?: string;
  cidr?: string;
  hubRef?: string;
  accountId?: string;
  domain?: string;
}

/**
 * Age order: the Environment created first keeps its names and addresses; a
 * later one that collides is refused. An unknown creation time counts as
 * oldest; equal times fall back to namespace/name. (RFC 3339 times in UTC, as
 * the API server writes them, sort as text.)
 */
function orderKey(creationTimestamp: string | undefined, ref: string): string {
  return `${creationTimestamp ?? ''}\u0000${ref}`;
}

function hubKey(ref: { name: string; namespace: string } | undefined): string | undefined {
  return ref === undefined ? undefined : `${ref.namespace}/${ref.name}`;
}

/**
 * Another Environment as far as names and addresses go. Its account and domain
 * come from its EnvironmentConfigs merged the way its own composition merges
 * them (base, its environment's config, its overrides); unreadable parts stay
 * unknown and take part in no check.
 */
function readOther(resource: JsonObject, configs: readonly JsonObject[]): OtherEnvironment | undefined {
  const metadata = metadataOf(resource);
  const spec = isObject(resource.spec) ? resource.spec : {};
  const environment = str(spec.environment);
  if (metadata.name === undefined || metadata.namespace === undefined || environment === undefined) return undefined;
  if ((spec.provider ?? 'aws') !== 'aws') return undefined;
  const ref = `${metadata.namespace}/${metadata.name}`;
  const layer = (value: string) => configs.find((c) => metadataOf(c).labels?.[ENVIRONMENT_LABEL] === value)?.data;
  const merged = [layer(BASE_CONFIG), layer(environment), spec.overrides].reduce<unknown>((out, data) => (isObject(data) ? mergePatch(out, data) : out), {});
  const aws = isObject(merged) && isObject(merged.aws) ? merged.aws : {};
  const dns = isObject(merged) && isObject(merged.dns) ? merged.dns : {};
  const network = isObject(spec.network) ? spec.network : {};
  const hub = isObject(network.hubRef) ? network.hubRef : undefined;
  const hubRef = hub !== undefined && typeof hub.name === 'string' && typeof hub.namespace === 'string' ? hubKey({ name: hub.name, namespace: hub.namespace }) : undefined;
  return {
    ref,
    order: orderKey(metadata.creationTimestamp, ref),
    environment,
    region: str(spec.region),
    cidr: str(network.cidr),
    hubRef,
    accountId: str(aws.accountId),
    domain: str(spec.domain) ?? str(dns.domain),
  };
}

/** The Hub resource spec.network.hubRef names (none without a hubRef), or the problem finding it. */
function findHub(spec: EnvironmentSpec, found: RequiredResources): { hub?: JsonObject; problem?: Problem } {
  const ref = spec.network?.hubRef;
  if (ref === undefined) return {};
  const hub = (found[hubsRequirement.requirementName] ?? []).find((candidate) => {
    const metadata = metadataOf(candidate);
    return metadata.name === ref.name && metadata.namespace === ref.namespace;
  });
  return hub !== undefined ? { hub } : { problem: { path: 'spec.network.hubRef', message: `cannot find Hub ${ref.namespace}/${ref.name}; create it first or name an existing one` } };
}

/**
 * What the Hub publishes. Not yet publishing its Transit Gateway and route
 * tables: 'pending', so the attachment waits rather than guessing.
 */
function hubAttachment(hub: JsonObject): HubAttachment | 'pending' {
  const status = (hub.status ?? {}) as { transitGatewayId?: unknown; ownerAccountId?: unknown; routeTables?: { egress?: unknown; workload?: unknown; platform?: unknown } };
  const tables = status.routeTables ?? {};
  if (typeof status.transitGatewayId !== 'string' || typeof tables.egress !== 'string' || typeof tables.workload !== 'string' || typeof tables.platform !== 'string') {
    return 'pending';
  }
  return {
    transitGatewayId: status.transitGatewayId,
    ...(typeof status.ownerAccountId === 'string' ? { ownerAccountId: status.ownerAccountId } : {}),
    routeTables: { egress: tables.egress, workload: tables.workload, platform: tables.platform },
  };
}

function missing(path: string, why: string): Problem {
  return { path, message: `required when provider is aws: ${why}` };
}

/**
 * The addresses a spoke must not share: the Hub's egress VPC, the platform
 * cluster's VPC (a spoke itself, unless this Environment is the platform's
 * own), and every other spoke of the same Hub created before this one.
 */
function addressProblems(spec: EnvironmentSpec, cidr: Ipv4Block, hub: JsonObject, config: PlatformConfig, others: readonly OtherEnvironment[], self: string): Problem[] {
  const problems: Problem[] = [];
  const field = 'spec.network.cidr';
  const own = spec.network?.cidr ?? '';
  const ref = hubKey(spec.network?.hubRef) ?? '';
  const hubSpec = isObject(hub.spec) ? hub.spec : {};
  const egress = str(isObject(hubSpec.egress) ? hubSpec.egress.cidr : undefined);
  const egressBlock = cidrOf(egress);
  if (egressBlock !== undefined && overlaps(cidr, egressBlock)) {
    problems.push({ path: field, message: `cannot use "${own}": it overlaps the egress VPC ${egress} of Hub ${ref}; pick a block outside ${egress}` });
  }
  const platformCidr = config.aws?.platform?.vpcCidr;
  const platformBlock = cidrOf(platformCidr);
  if (spec.role === 'workload' && platformBlock !== undefined && overlaps(cidr, platformBlock)) {
    problems.push({ path: field, message: `cannot use "${own}": it overlaps the platform cluster's VPC ${platformCidr} (data.aws.platform.vpcCidr), another spoke of Hub ${ref}; pick a block outside it` });
  }
  for (const other of others) {
    if (other.hubRef !== ref || other.order >= self) continue;
    const block = cidrOf(other.cidr);
    if (block !== undefined && overlaps(cidr, block)) {
      problems.push({ path: field, message: `cannot use "${own}": it overlaps ${other.cidr} of Environment ${other.ref}, another spoke of Hub ${ref} created before this one; spokes of one Hub route to each other, pick a block no other spoke uses` });
    }
  }
  return problems;
}

/**
 * Names that would be the same as another Environment's: IAM role names carry
 * the environment name and are global in an account (whatever the region);
 * bucket names and the zone's delegation record carry environment, region and
 * domain and are global (S3) or shared (the parent zone) across accounts.
 * Only an Environment created before this one counts: the first keeps its names.
 */
function nameProblems(spec: EnvironmentSpec, accountId: string | undefined, region: string | undefined, domain: string | undefined, others: readonly OtherEnvironment[], self: string): Problem[] {
  const problems: Problem[] = [];
  for (const other of others) {
    if (other.environment !== spec.environment || other.order >= self) continue;
    if (accountId !== undefined && other.accountId === accountId) {
      problems.push({
        path: 'spec.environment',
        message: `cannot use "${spec.environment}" in account ${accountId}: Environment ${other.ref} already does, and IAM role names (<environment>-...) are global in an account; give this environment another name (with its own EnvironmentConfig) or another account`,
      });
    } else if (region !== undefined && domain !== undefined && other.region === region && other.domain === domain) {
      problems.push({
        path: 'spec.environment',
        message: `cannot use "${spec.environment}" in region ${region} under ${domain}: Environment ${other.ref} already does, and its bucket names and zone ${spec.environment}.${region}.${domain} would be the same; choose another environment name, region or domain`,
      });
    }
  }
  return problems;
}

/** The Kubernetes minor an Environment runs, checked against data.kubernetes.supportedVersions. */
function versionProblems(spec: EnvironmentSpec, config: PlatformConfig): Problem[] {
  const supported = config.kubernetes.supportedVersions;
  const fromSpec = spec.kubernetes?.version;
  const version = fromSpec ?? config.kubernetes.version;
  if (supported.includes(version)) return [];
  const path = fromSpec !== undefined ? 'spec.kubernetes.version' : 'data.kubernetes.version';
  return [
    {
      path,
      message: `cannot use Kubernetes ${version}: the supported versions are ${supported.join(', ')} (data.kubernetes.supportedVersions); pick one of them, or add ${version} to the list once the platform's add-ons are tested with it`,
    },
  ];
}

/**
 * Checks every AWS input of an Environment up front and reports all problems
 * at once, before any builder runs: required fields, the CIDR (private, well
 * sized, not overlapping the Hub or its other spokes), the zones of the region,
 * the Kubernetes version, and names that would collide with another Environment.
 */
export function awsInputs(xr: XrIdentity, spec: EnvironmentSpec, config: PlatformConfig, found: RequiredResources): { domain: string; aws: AwsInputs } {
  const problems: Problem[] = [];
  const { hub: hubObject, problem: hubProblem } = findHub(spec, found);
  if (hubProblem !== undefined) problems.push(hubProblem);
  const hub = hubObject === undefined ? undefined : hubAttachment(hubObject);

  const region = spec.region;
  if (region === undefined) problems.push(missing('spec.region', 'the AWS region, such as eu-central-1'));
  const cidr = spec.network?.cidr;
  let block: Ipv4Block | undefined;
  if (cidr === undefined) problems.push(missing('spec.network.cidr', 'the VPC CIDR, a /16 to /20 such as 10.20.0.0/16'));
  else {
    try {
      subnetLayout(cidr);
      block = parseCidr(cidr);
    } catch (error) {
      if (!(error instanceof FatalError)) throw error;
      problems.push({ path: 'spec.network.cidr', message: error.message });
    }
    const range = privateRangeProblem('spec.network.cidr', cidr);
    if (range !== undefined) problems.push(range);
  }
  const domain = spec.domain ?? config.dns?.domain;
  if (domain === undefined) problems.push({ path: 'data.dns.domain', message: 'required when provider is aws: the organisation domain the environment zones go under; set it in the base EnvironmentConfig, or spec.domain to override it for one Environment' });
  const organisationDomain = config.dns?.domain;
  if (spec.domain !== undefined && organisationDomain !== undefined && spec.domain !== organisationDomain && !spec.domain.endsWith(`.${organisationDomain}`)) {
    problems.push({
      path: 'spec.domain',
      message: `cannot use "${spec.domain}": it is not ${organisationDomain} or under it, and the delegation record goes into that domain's zone (data.dns.parentZoneId); remove spec.domain, use a subdomain of ${organisationDomain}, or set data.dns.domain and data.dns.parentZoneId for this environment`,
    });
  }
  const accountId = config.aws?.accountId;
  if (accountId === undefined) problems.push(missing('data.aws.accountId', "the account the environment lives in; set it in the environment's EnvironmentConfig"));
  const parentZoneId = config.dns?.parentZoneId;
  if (parentZoneId === undefined) problems.push(missing('data.dns.parentZoneId', 'the hosted zone of data.dns.domain'));
  const dnsAccount = config.dns?.account;
  if (dnsAccount === undefined) problems.push(missing('data.dns.account', 'the account owning the parent zone'));
  const platform = config.aws?.platform;
  if (platform === undefined) problems.push(missing('data.aws.platform', 'where the platform cluster reaches the environment from'));

  let network: AwsInputs['network'];
  if (spec.network?.hubRef !== undefined) {
    const account = config.aws?.network;
    if (account === undefined) problems.push({ path: 'data.aws.network', message: 'required with spec.network.hubRef: the account owning the Hub' });
    else {
      if (hub !== undefined && hub !== 'pending' && hub.ownerAccountId !== undefined && hub.ownerAccountId !== account.accountId) {
        problems.push({
          path: 'spec.network.hubRef',
          message: `cannot attach to Hub ${spec.network.hubRef.namespace}/${spec.network.hubRef.name}: it belongs to account ${hub.ownerAccountId}, but data.aws.network.accountId is ${account.accountId}; name the Hub's account in the EnvironmentConfig`,
        });
      }
      network = { accountId: account.accountId, providerConfig: { kind: 'ClusterProviderConfig', name: account.providerConfigName } };
    }
  }

  const fromSpec = spec.network?.availabilityZones;
  const zones =
    region === undefined
      ? []
      : zoneSlots(config.aws?.regions, region, fromSpec ?? config.network.availabilityZones, {
          region: 'spec.region',
          count: fromSpec !== undefined ? 'spec.network.availabilityZones' : 'data.network.availabilityZones',
        });
  if (!Array.isArray(zones)) problems.push(zones);
  problems.push(...versionProblems(spec, config));

  const configs = found[ENVIRONMENT_CONFIGS_REQUIREMENT] ?? [];
  const all = found[environmentsRequirement.requirementName] ?? [];
  const selfRef = `${xr.namespace}/${xr.name}`;
  const selfResource = all.find((e) => `${metadataOf(e).namespace}/${metadataOf(e).name}` === selfRef);
  const self = orderKey(xr.creationTimestamp ?? (selfResource === undefined ? undefined : metadataOf(selfResource).creationTimestamp), selfRef);
  const others = all.flatMap((resource) => {
    const other = readOther(resource, configs);
    return other === undefined || other.ref === selfRef ? [] : [other];
  });
  if (block !== undefined && hubObject !== undefined) problems.push(...addressProblems(spec, block, hubObject, config, others, self));
  problems.push(...nameProblems(spec, accountId, region, domain, others, self));

  throwProblems(problems);
  if (region === undefined || cidr === undefined || domain === undefined || accountId === undefined || parentZoneId === undefined || dnsAccount === undefined || platform === undefined || !Array.isArray(zones)) {
    throw new Error('internal error: an AWS input was missing without a problem reported');
  }
  return {
    domain,
    aws: { region, cidr, accountId, parentZoneId, dnsProviderConfig: { kind: 'ClusterProviderConfig', name: dnsAccount.providerConfigName }, network, platform, hub, zones },
  };
}
