import { featureOn, type AddonDefinition } from './addon.js';

/** Namespaces the policy guards: project namespaces (see examples/project/namespace.yaml). */
export const PROJECT_NAMESPACE_LABEL = 'platform.projectcatalyst.io/project';

/** Pod label that exempts a pod from the policy: the documented escape hatch for an accepted risk. */
export const VULNERABILITY_EXCEPTION_LABEL = 'platform.projectcatalyst.io/vulnerability-exception';

/** Name of the ClusterPolicy; also what `kubectl get cpol` and refusals show. */
export const TRIVY_ADMISSION_POLICY = 'refuse-critical-vulnerabilities';

/** Context variable holding the normalised images the namespace's reports mark critical. */
const CRITICAL_IMAGES = 'criticalImages';

/**
 * Docker Hub has several spellings (`index.docker.io`, `docker.io`, with or
 * without `library/`): Trivy writes one, Kyverno's image parser another, so
 * both sides are folded to `docker.io/<path>`. Character classes instead of
 * backslashes keep the pattern free of escapes through YAML, JSON and JMESPath.
 */
const DOCKER_HUB_SPELLINGS = "'^(index[.])?docker[.]io/(library/)?'";

/**
 * The report side: every VulnerabilityReport (aquasecurity.github.io/v1alpha1)
 * in the namespace with at least one critical finding, as
 * `registry.server/artifact.repository:artifact.tag`, plus `@artifact.digest`
 * where the report has one, so digest-pinned pods match too. A report missing
 * a part is skipped for that form rather than breaking `join`.
 */
const CRITICAL_REPORT_IMAGES = [
  '[',
  "items[?report.summary.criticalCount > `0` && report.registry.server && report.artifact.repository && report.artifact.tag].join('', [report.registry.server, '/', report.artifact.repository, ':', report.artifact.tag]),",
  " items[?report.summary.criticalCount > `0` && report.registry.server && report.artifact.repository && report.artifact.digest].join('', [report.registry.server, '/', report.artifact.repository, '@', report.artifact.digest])",
  `][] | map(&regex_replace_all(${DOCKER_HUB_SPELLINGS}, @, 'docker.io/'), @)`,
].join('');

/**
 * The pod side: Kyverno's `image_normalize` adds the default registry and tag
 * (`nginx` becomes `docker.io/nginx:latest`, a digest replaces the tag), then
 * the same Docker Hub folding as the reports.
 */
const NORMALISED_ELEMENT_IMAGE = `{{ regex_replace_all(${DOCKER_HUB_SPELLINGS}, image_normalize(element.image), 'docker.io/') }}`;

/** One foreach over a list of containers: deny when the container's image is among the critical ones. */
function denyCriticalImages(list: string): Record<string, unknown> {
  return {
    list,
    deny: { conditions: { any: [{ key: NORMALISED_ELEMENT_IMAGE, operator: 'AnyIn', value: `{{ ${CRITICAL_IMAGES} }}` }] } },
  };
}

/**
 * Trivy admission (config `features.trivyAdmission`): a Kyverno ClusterPolicy
 * that refuses Pods in project namespaces whose containers or init containers
 * run an image the Trivy operator has already reported, in that namespace,
 * with critical vulnerabilities. It reads the reports at admission through
 * the API (Kyverno's admission controller may list them: see `kyverno.ts`),
 * so an image nobody has run there yet passes and is scanned once it runs;
 * the next Pod with it is refused. Pods only (no autogen for controllers):
 * a Deployment is accepted and its ReplicaSet reports the refused Pods.
 */
export const trivyAdmission: AddonDefinition = {
  name: 'trivy-admission',
  features: { trivyAdmission: { default: false, description: 'Trivy operator scans, and a Kyverno policy refusing images with critical vulnerabilities.' } },
  enabled: (ctx) => featureOn(ctx, 'trivyAdmission'),
  // The reports' CRD comes with the operator; the ClusterPolicy CRD and webhook with Kyverno.
  dependsOn: ['trivy-operator', 'kyverno'],
  objects: () => ({
    policy: {
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: {
        name: TRIVY_ADMISSION_POLICY,
        annotations: {
          'policies.kyverno.io/title': 'Refuse images with critical vulnerabilities',
          'policies.kyverno.io/description': `Refuses Pods in project namespaces whose images have a Trivy VulnerabilityReport with critical findings in that namespace. Label a Pod ${VULNERABILITY_EXCEPTION_LABEL}: "true" to exempt it.`,
          // Autogen would rewrite the rule for Deployments, Jobs, ...: Pods are the one place images run.
          'pod-policies.kyverno.io/autogen-controllers': 'none',
        },
      },
      spec: {
        // Admission only: the rule reads the request's namespace, which a background scan has not got.
        background: false,
        // Fail closed: a rule that cannot read the reports refuses the Pod (the exception label still applies).
        failurePolicy: 'Fail',
        rules: [
          {
            name: 'refuse-images-with-critical-vulnerabilities',
            match: {
              any: [{ resources: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'], namespaceSelector: { matchLabels: { [PROJECT_NAMESPACE_LABEL]: 'true' } } } }],
            },
            // Evaluated before the context is loaded, so the exception holds even when the reports cannot be read.
            exclude: {
              any: [{ resources: { selector: { matchLabels: { [VULNERABILITY_EXCEPTION_LABEL]: 'true' } } } }],
            },
            context: [
              {
                name: CRITICAL_IMAGES,
                apiCall: {
                  urlPath: '/apis/aquasecurity.github.io/v1alpha1/namespaces/{{ request.namespace }}/vulnerabilityreports',
                  jmesPath: CRITICAL_REPORT_IMAGES,
                },
              },
            ],
            validate: {
              failureAction: 'Enforce',
              // An update to a Pod that already ran the image (labels, finalizers) is not refused.
              allowExistingViolations: true,
              message: `An image of this Pod has critical vulnerabilities in a Trivy VulnerabilityReport of this namespace (kubectl get vulnerabilityreports). Rebuild it on a fixed base, or label the Pod ${VULNERABILITY_EXCEPTION_LABEL}: "true" for an accepted exception.`,
              foreach: [denyCriticalImages('request.object.spec.containers'), denyCriticalImages('request.object.spec.initContainers || `[]`')],
            },
          },
        ],
      },
    },
  }),
};
