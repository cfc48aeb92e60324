/** Hub specs the zod schema and the generated XRD must judge alike (some valid, some not). */
export default [
  { region: 'eu-central-1', egress: { cidr: '10.0.0.0/20' }, sharing: { principals: ['222222222222'] } },
  { region: 'us-east-1', egress: { cidr: '10.0.0.0/24', availabilityZones: 2, natGateways: 1 }, sharing: { principals: ['arn:aws:organizations::999999999999:organization/o-abc123def4'] }, amazonSideAsn: 65000, providerConfigRef: { name: 'aws-network' } },
  { region: 'eu-central-1', egress: { cidr: '10.0.0.0/20' } },
  { region: 'eu-central-1', egress: { cidr: '10.0.0.0/20' }, sharing: { principals: [] } },
  { region: 'eu-central-1', egress: { cidr: '10.0.0.0/20' }, sharing: { principals: ['1234'] } },
  {},
  { region: 'eu-central-1' },
  { region: 'Frankfurt', egress: { cidr: '10.0.0.0/20' } },
  { region: 'eu-central-1', egress: { cidr: '10.0.0.0' } },
  { region: 'eu-central-1', egress: { cidr: '10.0.0.0/20', natGateways: 4 } },
  { region: 'eu-central-1', egress: { cidr: '10.0.0.0/20' }, amazonSideAsn: 1 },
  { region: 'eu-central-1', egress: { cidr: '10.0.0.0/20', extra: 1 } },
];
