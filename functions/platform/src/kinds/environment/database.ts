import type { EnvironmentContext } from './context.js';
import { subnetRefs } from './network.js';

const COMPONENT = 'database';

/** PostgreSQL's port; the security group admits nothing else. */
export const POSTGRES_PORT = 5432;

/**
 * Secrets Manager names RDS gives the master-user secrets it manages
 * (`rds!db-<uuid>`), as an ARN pattern: no other identity may touch them.
 */
export const RDS_MANAGED_SECRET_PATTERN = 'rds!*';

/** ARN of the root credentials' secret, once RDS has reported it (it creates the secret with the instance). */
export function rootSecretArn(ctx: EnvironmentContext): string | undefined {
  return ctx.observedString('database', 'masterUserSecret', 'secretArn');
}

/**
 * The environment's shared PostgreSQL: database subnets, a parameter group
 * forcing TLS, a security group admitting 5432 only from the cluster, an
 * encrypted instance sized from config, and the root credentials in a secret
 * RDS manages (`manageMasterUserPassword`): RDS generates the password, keeps
 * it in Secrets Manager as the JSON its rotation uses (`username`,
 * `password`), encrypted with the environment key, and rotates it. The
 * password exists nowhere else: not in the function, not in a Kubernetes
 * Secret of the control plane.
 */
export function buildDatabase(ctx: EnvironmentContext): void {
  const { region } = ctx;
  const db = ctx.config.database;
  const major = db.engineVersion.split('.')[0] ?? db.engineVersion;

  ctx.add('security-group-database', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:SecurityGroup', {
    region,
    name: ctx.name('database'),
    description: `PostgreSQL of ${ctx.environment}: port ${POSTGRES_PORT} from the cluster only`,
    vpcIdRef: { name: ctx.name('vpc') },
    revokeRulesOnDelete: true,
    tags: ctx.tags(COMPONENT),
  });
  // The cluster security group exists once EKS created the cluster; it is on every node and pod ENI.
  const clusterSecurityGroup = ctx.observedString('cluster', 'vpcConfig', 'clusterSecurityGroupId');
  ctx.add(
    'security-group-rule-database-from-cluster',
    COMPONENT,
    'ec2.aws.m.upbound.io/v1beta1:SecurityGroupIngressRule',
    clusterSecurityGroup !== undefined
      ? {
      region,
      securityGroupIdRef: { name: ctx.name('security-group-database') },
      referencedSecurityGroupId: clusterSecurityGroup,
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: 'PostgreSQL from the EKS cluster',
      tags: ctx.tags(COMPONENT),
    } : undefined,
  );

  ctx.add('database-subnet-group', COMPONENT, 'rds.aws.m.upbound.io/v1beta1:SubnetGroup', {
    region,
    description: `Database subnets of ${ctx.environment}`,
    subnetIdRefs: subnetRefs(ctx, 'database'),
    tags: ctx.tags(COMPONENT),
  });
  ctx.add('database-parameter-group', COMPONENT, 'rds.aws.m.upbound.io/v1beta1:ParameterGroup', {
    region,
    family: `postgres${major}`,
    description: `PostgreSQL ${major} parameters of ${ctx.environment}`,
    parameter: [
      { name: 'rds.force_ssl', value: '1', applyMethod: 'pending-reboot' },
      { name: 'log_min_duration_statement', value: '1000', applyMethod: 'immediate' },
    ],
    tags: ctx.tags(COMPONENT),
  });

  ctx.add(
    'database',
    COMPONENT,
    'rds.aws.m.upbound.io/v1beta1:Instance',
    {
      region,
      engine: 'postgres',
      engineVersion: db.engineVersion,
      instanceClass: db.instanceClass,
      allocatedStorage: db.allocatedStorage,
      maxAllocatedStorage: db.maxAllocatedStorage,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyIdRef: { name: ctx.name('kms-key') },
      multiAz: db.multiAz,
      backupRetentionPeriod: db.backupRetentionDays,
      deletionProtection: db.deletionProtection,
      skipFinalSnapshot: db.skipFinalSnapshot,
      ...(db.skipFinalSnapshot ? {} : { finalSnapshotIdentifier: ctx.name('database-final') }),
      copyTagsToSnapshot: true,
      dbSubnetGroupNameRef: { name: ctx.name('database-subnet-group') },
      parameterGroupNameRef: { name: ctx.name('database-parameter-group') },
      vpcSecurityGroupIdRefs: [{ name: ctx.name('security-group-database') }],
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      enabledCloudwatchLogsExports: ['postgresql'],
      username: db.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyIdRef: { name: ctx.name('kms-key') },
      tags: ctx.tags(COMPONENT),
    },
    { stateful: true, writeConnectionSecretToRef: ctx.name('database-connection') },
  );
}
