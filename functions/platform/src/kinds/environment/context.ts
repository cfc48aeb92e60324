import type { PlatformConfig } from '../../environment/platform-config.js';
import { AwsComposition } from '../../resources/aws/composition.js';
import { providerConfigReference } from '../../resources/aws/managed.js';
import type { ObservedResources, XrIdentity } from '../kind.js';
import type { EnvironmentSpec } from './schema.js';

export { STATEFUL_LABEL } from '../../resources/aws/composition.js';

/** What a Hub publishes in its status, as an Environment needs it. */
export interface HubAttachment {
  transitGatewayId: string;
  routeTables: { egress: string; workload: string; platform: string };
}

/** Inputs every Environment builder reads; validated before any builder runs. */
export interface EnvironmentInputs {
  xr: XrIdentity;
  spec: EnvironmentSpec;
  config: PlatformConfig;
  region: string;
  cidr: string;
  domain: string;
  accountId: string;
  parentZoneId: string;
  /** Hub referenced by spec.network.hubRef, once it has published its ids; undefined without a Hub. */
  hub: HubAttachment | 'pending' | undefined;
  observed: ObservedResources;
}

/**
 * The state of one Environment composition: the shared AWS composition state
 * plus what every Environment builder reads (spec, merged config, zone and
 * cluster names, the zones in use).
 */
export class EnvironmentContext extends AwsComposition {
  readonly environment: string;
  readonly zoneName: string;
  readonly clusterName: string;
  /** Letters of the availability zones in use, e.g. ['a', 'b', 'c']. */
  readonly zones: readonly string[];

  constructor(readonly inputs: EnvironmentInputs) {
    const { spec, config } = inputs;
    super({
      xr: inputs.xr,
      prefix: spec.environment,
      region: inputs.region,
      accountId: inputs.accountId,
      providerConfigRef: providerConfigReference(spec.providerConfigRef),
      observed: inputs.observed,
      retainStatefulResources: config.protection.retainStatefulResources,
      environmentTag: spec.environment,
    });
    this.environment = spec.environment;
    this.zoneName = `${spec.environment}.${inputs.region}.${inputs.domain}`;
    this.clusterName = this.name('cluster');
    const count = spec.network?.availabilityZones ?? config.network.availabilityZones;
    this.zones = ['a', 'b', 'c'].slice(0, count);
  }

  get config(): PlatformConfig {
    return this.inputs.config;
  }

  get spec(): EnvironmentSpec {
    return this.inputs.spec;
  }
}
