import { field } from '../../resources/aws/composition.js';
import { createHash } from 'node:crypto';
import { awsManagedPolicy, policyJson, serviceTrust } from '../../resources/aws/iam-policy.js';
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

/**
 * Name of the snapshot RDS takes when the instance is deleted: suffixed with
 * the Environment's uid, so an Environment deleted, created again and deleted
 * again does not collide with the first one's snapshot (RDS refuses an
 * existing snapshot name, and the deletion would hang).
 */
export function finalSnapshotName(ctx: EnvironmentContext): string {
  const uid = ctx.inputs.xr.uid;
  const base = ctx.name('database-final');
  return uid === undefined ? base : `${base}-${createHash('sha256').update(uid).digest('hex').slice(0, 12)}`;
}

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
    } : ctx.waiting(field('cluster', 'vpcConfig', 'clusterSecurityGroupId')),
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

  // The instance exports PostgreSQL logs here; RDS creates the group without a retention if it is missing.
  // Named by external name, a group RDS already made is adopted, not duplicated.
  ctx.add(
    'log-group-database',
    COMPONENT,
    'cloudwatchlogs.aws.m.upbound.io/v1beta1:Group',
    { region, retentionInDays: db.logRetentionDays, tags: ctx.tags(COMPONENT) },
    { externalName: `/aws/rds/instance/${ctx.name('database')}/postgresql` },
  );

  // Enhanced Monitoring publishes OS metrics through a role RDS assumes.
  const enhancedMonitoring = db.monitoringIntervalSeconds > 0;
  if (enhancedMonitoring) {
    ctx.add('role-database-monitoring', COMPONENT, 'iam.aws.m.upbound.io/v1beta1:Role', {
      assumeRolePolicy: policyJson(serviceTrust('monitoring.rds.amazonaws.com', { StringEquals: { 'aws:SourceAccount': ctx.accountId } })),
      managedPolicyArns: [awsManagedPolicy('service-role/AmazonRDSEnhancedMonitoringRole')],
      tags: ctx.tags(COMPONENT),
    });
  }
  const performanceInsights = db.performanceInsightsRetentionDays > 0;
  // Performance Insights encrypts with the environment key, fixed once enabled: wait for its ARN.
  const keyArn = ctx.observedString('kms-key', 'arn');

  ctx.add(
    'database',
    COMPONENT,
    'rds.aws.m.upbound.io/v1beta1:Instance',
    !performanceInsights || keyArn !== undefined ? {
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
      ...(db.skipFinalSnapshot ? {} : { finalSnapshotIdentifier: finalSnapshotName(ctx) }),
      copyTagsToSnapshot: true,
      ...(db.backupWindow !== undefined ? { backupWindow: db.backupWindow } : {}),
      ...(db.maintenanceWindow !== undefined ? { maintenanceWindow: db.maintenanceWindow } : {}),
      performanceInsightsEnabled: performanceInsights,
      ...(performanceInsights ? { performanceInsightsRetentionPeriod: db.performanceInsightsRetentionDays, performanceInsightsKmsKeyId: keyArn } : {}),
      monitoringInterval: db.monitoringIntervalSeconds,
      ...(enhancedMonitoring ? { monitoringRoleArnRef: { name: ctx.name('role-database-monitoring') } } : {}),
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
    } : ctx.waiting(field('kms-key', 'arn')),
    { stateful: true, writeConnectionSecretToRef: ctx.name('database-connection') },
  );
}
