/** Condition block of an IAM statement: operator -> key -> value(s). */
export type PolicyCondition = Record<string, Record<string, string | readonly string[]>>;

/** One IAM policy statement. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { Service?: string | readonly string[]; Federated?: string; AWS?: string | readonly string[] };
  Action: string | readonly string[];
  Resource?: string | readonly string[];
  Condition?: PolicyCondition;
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: readonly PolicyStatement[];
}

/** A policy document from its statements. */
export function policy(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** The JSON string providers expect, with keys in the order people read them. */
export function policyJson(document: PolicyDocument): string {
  const ordered = {
    Version: document.Version,
    Statement: document.Statement.map((s) => {
      const out: Record<string, unknown> = {};
      for (const key of ['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition'] as const) {
        if (s[key] !== undefined) out[key] = s[key];
      }
      return out;
    }),
  };
  return JSON.stringify(ordered);
}

/** Trust policy for an AWS service principal (ec2, eks, vpc-flow-logs, ...). */
export function serviceTrust(service: string, condition?: PolicyCondition): PolicyDocument {
  return policy({
    Effect: 'Allow',
    Principal: { Service: service },
    Action: ['sts:AssumeRole', ...(service === 'eks.amazonaws.com' ? ['sts:TagSession'] : [])],
    ...(condition !== undefined ? { Condition: condition } : {}),
  });
}

/** A Kubernetes service account an IAM role is bound to. */
export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/**
 * Trust policy for EKS Pod Identity bound to exactly one service account of
 * one cluster: the agent tags the session with the cluster, namespace and
 * service account, and the conditions require those tags.
 */
export function podIdentityTrust(clusterArn: string, accountId: string, serviceAccount: ServiceAccountRef): PolicyDocument {
  return policy({
    Effect: 'Allow',
    Principal: { Service: 'pods.eks.amazonaws.com' },
    Action: ['sts:AssumeRole', 'sts:TagSession'],
    Condition: {
      StringEquals: {
        'aws:SourceAccount': accountId,
        'aws:RequestTag/eks-cluster-arn': clusterArn,
        'aws:RequestTag/kubernetes-namespace': serviceAccount.namespace,
        'aws:RequestTag/kubernetes-service-account': serviceAccount.name,
      },
    },
  });
}

/** Trust policy for IRSA: web identity from the cluster's OIDC provider, for exactly one service account. */
export function irsaTrust(oidcProviderArn: string, issuerHost: string, serviceAccount: ServiceAccountRef): PolicyDocument {
  return policy({
    Effect: 'Allow',
    Principal: { Federated: oidcProviderArn },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: {
      StringEquals: {
        [`${issuerHost}:aud`]: 'sts.amazonaws.com',
        [`${issuerHost}:sub`]: `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`,
      },
    },
  });
}

/**
 * Resource-policy statement refusing every request that does not come over
 * TLS (aws:SecureTransport false), whoever makes it.
 */
export function denyInsecureTransport(action: string, resources: string | readonly string[]): PolicyStatement {
  return { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: action, Resource: resources, Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
}

/** ARN of an AWS-managed IAM policy. */
export function awsManagedPolicy(name: string): string {
  return `arn:aws:iam::aws:policy/${name}`;
}
