import { field, ready } from '../../../resources/aws/composition.js';
import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import type { EnvironmentContext } from '../context.js';
import type { AddonDefinition } from './addon.js';
import { awsManaged } from './observability-mode.js';

const COMPONENT = 'observability';

/** Composed keys of the workspace and its log group. */
export const AMP_WORKSPACE = 'amp-workspace';
const AMP_LOG_GROUP = 'log-group-amp';

/** The workspace's ARN once AWS reports it (roles are scoped to it). */
export function ampWorkspaceArn(ctx: EnvironmentContext): string | undefined {
  return ctx.observedString(AMP_WORKSPACE, 'arn');
}

/** The workspace's Prometheus endpoint (`https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/`) once reported. */
export function ampEndpoint(ctx: EnvironmentContext): string | undefined {
  const endpoint = ctx.observedString(AMP_WORKSPACE, 'prometheusEndpoint');
  return endpoint === undefined ? undefined : endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
}

/** Remote-write URL of the workspace (its endpoint + `api/v1/remote_write`). */
export function ampRemoteWriteUrl(ctx: EnvironmentContext): string | undefined {
  const endpoint = ampEndpoint(ctx);
  return endpoint === undefined ? undefined : `${endpoint}api/v1/remote_write`;
}

/** A statement allowing `actions` on this environment's workspace only; none until its ARN is known. */
export function onWorkspace(ctx: EnvironmentContext, sid: string, actions: string[]): PolicyStatement[] {
  const arn = ampWorkspaceArn(ctx);
  return arn === undefined ? [] : [{ Sid: sid, Effect: 'Allow', Action: actions, Resource: arn }];
}

/**
 * Amazon Managed Prometheus (mode aws-managed): one workspace per
 * environment, encrypted with the environment's KMS key (set at creation,
 * so it waits for the key's ARN), logging rule and ingestion errors to a
 * log group of its own under /aws/vendedlogs/ (the prefix AWS recommends for
 * vended logs, which keeps the CloudWatch Logs resource policy small). The
 * workspace holds metrics: stateful, kept in protected environments.
 * Writers and readers are separate roles (alloy.ts, grafana.ts).
 */
export const managedPrometheus: AddonDefinition = {
  name: 'managed-prometheus',
  enabled: (ctx) => ctx.provider === 'aws' && awsManaged(ctx),
  build(ctx) {
    const { region } = ctx;
    const logGroupName = `/aws/vendedlogs/prometheus/${ctx.clusterName}`;
    ctx.add(
      AMP_LOG_GROUP,
      COMPONENT,
      'cloudwatchlogs.aws.m.upbound.io/v1beta1:Group',
      { region, retentionInDays: ctx.config.kubernetes.controlPlaneLogRetentionDays, tags: ctx.tags(COMPONENT) },
      { externalName: logGroupName },
    );
    const keyArn = ctx.observedString('kms-key', 'arn');
    ctx.add(
      AMP_WORKSPACE,
      COMPONENT,
      'amp.aws.m.upbound.io/v1beta1:Workspace',
      // Encryption is fixed at creation: wait for the key rather than create the workspace with an AWS-owned one.
      keyArn !== undefined && ctx.isReady(AMP_LOG_GROUP)
        ? {
            region,
            alias: ctx.clusterName,
            kmsKeyArn: keyArn,
            // AMP wants the log group's ARN with the `:*` stream suffix.
            loggingConfiguration: { logGroupArn: ctx.arn('logs', `log-group:${logGroupName}:*`) },
            tags: ctx.tags(COMPONENT),
          }
        : ctx.waiting(field('kms-key', 'arn'), ready(AMP_LOG_GROUP)),
      { stateful: true },
    );
  },
};
