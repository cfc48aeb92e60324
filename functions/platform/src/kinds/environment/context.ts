import { FatalError } from '../../errors.js';
import type { OnpremConfig } from '../../environment-config/onprem-config.js';
import type { PlatformConfig } from '../../environment-config/platform-config.js';
import { AwsComposition, type AddOptions, type Waiting } from '../../resources/aws/composition.js';
import { providerConfigReference, type AwsKind, type AwsKinds, type ProviderConfigReference } from '../../resources/aws/managed.js';
import type { ObservedResources, XrIdentity } from '../../composite.js';
import type { ZoneSlot } from '../../resources/aws/zones.js';
import type { EnvironmentSpec } from './schema.js';

export { STATEFUL_LABEL } from '../../resources/aws/composition.js';

/** Where an Environment runs. */
export type EnvironmentProvider = EnvironmentSpec['provider'];

/** What a Hub publishes in its status, as an Environment needs it. */
export interface HubAttachment {
  transitGatewayId: string;
  /** The account owning the Transit Gateway, once the Hub has observed it. */
  ownerAccountId?: string;
  routeTables: { egress: string; workload: string; platform: string };
}

/** The AWS-only inputs of an Environment, validated before any builder runs. */
export interface AwsInputs {
  region: string;
  cidr: string;
  accountId: string;
  parentZoneId: string;
  /** Credentials of the account owning the parent zone: only it may write the delegation record. */
  dnsProviderConfig: ProviderConfigReference;
  /** The network account (owner of the Hub); set when the Environment attaches to one. */
  network: { accountId: string; providerConfig: ProviderConfigReference } | undefined;
  /** Where the platform cluster reaches this environment from. */
  platform: { vpcCidr: string; egressCidrs: readonly string[] };
  /** Hub referenced by spec.network.hubRef, once it has published its ids; undefined without a Hub. */
  hub: HubAttachment | 'pending' | undefined;
  /** The zones in use, from data.aws.regions: slot letter and zone ID. */
  zones: readonly ZoneSlot[];
}

/** The on-prem-only inputs of an Environment, validated before any builder runs. */
export interface OnpremInputs {
  /** Secret in the XR's namespace holding the existing cluster's kubeconfig, and its key. */
  kubeconfigSecretRef: { name: string; key: string };
  config: OnpremConfig;
}

/** Inputs every Environment builder reads; exactly one of `aws` and `onprem` is set, matching `provider`. */
export type EnvironmentInputs = {
  xr: XrIdentity;
  spec: EnvironmentSpec;
  config: PlatformConfig;
  /** Parent DNS domain: the zone is `<environment>.<region>.<domain>` on AWS, `<environment>.<domain>` on-prem. */
  domain: string;
  observed: ObservedResources;
} & ({ provider: 'aws'; aws: AwsInputs } | { provider: 'onprem'; onprem: OnpremInputs });

/**
 * The state of one Environment composition: the shared composition state
 * (naming, observed state, the resources builders add) plus what every
 * Environment builder reads (provider, spec, merged config, zone and cluster
 * names). AWS inputs sit behind {@link aws}, on-prem ones behind {@link onprem}:
 * reading the other provider's part is a bug and fails loudly.
 */
export class EnvironmentContext extends AwsComposition {
  readonly provider: EnvironmentProvider;
  readonly environment: string;
  readonly zoneName: string;
  readonly clusterName: string;
  /** Slot letters of the availability zones in use, e.g. ['a', 'b', 'c'] (composition keys); none on-prem. */
  readonly zones: readonly string[];
  /** Zone ID of each slot, e.g. { a: 'euc1-az1' }. */
  readonly zoneIds: Readonly<Record<string, string>>;

  constructor(readonly inputs: EnvironmentInputs) {
    const { spec, config } = inputs;
    super({
      xr: inputs.xr,
      prefix: spec.environment,
      // On-prem composes no AWS resource (add() refuses), so no region or account is ever written.
      region: inputs.provider === 'aws' ? inputs.aws.region : '',
      accountId: inputs.provider === 'aws' ? inputs.aws.accountId : '',
      providerConfigRef: providerConfigReference(spec.providerConfigRef),
      observed: inputs.observed,
      retainStatefulResources: config.protection.retainStatefulResources,
      environmentTag: spec.environment,
    });
    this.provider = inputs.provider;
    this.environment = spec.environment;
    if (inputs.provider === 'aws') {
      this.zoneName = `${spec.environment}.${inputs.aws.region}.${inputs.domain}`;
      this.clusterName = this.name('cluster');
      const slots = inputs.aws.zones;
      this.zones = slots.map((s) => s.slot);
      this.zoneIds = Object.fromEntries(slots.map((s) => [s.slot, s.zoneId]));
    } else {
      this.zoneName = `${spec.environment}.${inputs.domain}`;
      this.clusterName = inputs.onprem.config.clusterName ?? spec.environment;
      this.zones = [];
      this.zoneIds = {};
    }
  }

  get config(): PlatformConfig {
    return this.inputs.config;
  }

  get spec(): EnvironmentSpec {
    return this.inputs.spec;
  }

  /** The AWS inputs; only AWS builders call this. */
  get aws(): AwsInputs {
    if (this.inputs.provider !== 'aws') throw new Error('internal error: an AWS builder ran for an on-prem Environment');
    return this.inputs.aws;
  }

  /** The on-prem inputs; only on-prem builders call this. */
  get onprem(): OnpremInputs {
    if (this.inputs.provider !== 'onprem') throw new Error('internal error: an on-prem builder ran for an AWS Environment');
    return this.inputs.onprem;
  }

  /** The on-prem config when this Environment is on-prem, else undefined: for add-ons that differ by provider. */
  get onpremConfig(): OnpremConfig | undefined {
    return this.inputs.provider === 'onprem' ? this.inputs.onprem.config : undefined;
  }

  /**
   * An AWS managed resource. Refused on-prem: that an on-prem Environment
   * never composes anything in AWS is held here, not by each builder's care.
   */
  override add<K extends AwsKind>(key: string, component: string, kind: K, forProvider: AwsKinds[K] | Waiting | undefined, options: AddOptions = {}): void {
    if (this.provider !== 'aws') throw new FatalError(`cannot compose "${key}" (${kind}): an on-prem Environment composes no AWS resources`);
    super.add(key, component, kind, forProvider, options);
  }
}
