/** Environment specs the zod schema and the generated XRD must judge alike (some valid, some not). */
export default [
  { environment: 'dev', region: 'eu-central-1', domain: 'projectcatalyst.io', network: { cidr: '10.1.0.0/16' } },
  { environment: 'prod', role: 'platform', region: 'us-east-1', network: { cidr: '10.2.0.0/18', availabilityZones: 3, hubRef: { name: 'hub', namespace: 'network-hub' } } },
  { environment: 'lab', provider: 'onprem', kubeconfigSecretRef: { name: 'lab-kubeconfig' } },
  { environment: 'dev', kubernetes: { version: '1.34', publicEndpoint: true, adminPrincipalArns: ['arn:aws:iam::111111111111:role/admins'] } },
  { environment: 'dev', overrides: { database: { multiAz: true }, anything: [1, 2] } },
  {},
  { environment: 'Dev' },
  { environment: 'dev', provider: 'gcp' },
  { environment: 'dev', region: 'Europe' },
  { environment: 'dev', network: { cidr: '10.1.0.0' } },
  { environment: 'dev', network: { availabilityZones: 4 } },
  { environment: 'dev', network: { hubRef: { name: 'hub' } } },
  { environment: 'dev', kubernetes: { version: '1.3' } },
  { environment: 'dev', kubernetes: { adminPrincipalArns: ['root'] } },
  { environment: 'dev', providerConfigRef: { name: 'aws', kind: 'Secret' } },
  { environment: 'dev', extra: true },
];
