/** Storage specs the zod schema and the generated XRD must judge alike (some valid, some not). */
export default [
  { size: '10Gi' },
  { class: 'fast', size: '20Gi', accessMode: 'ReadWriteOncePod' },
  { class: 'bulk', size: '2Ti' },
  {},
  { size: '10GB' },
  { size: '0Gi' },
  { size: 10 },
  { size: '123456789Gi' },
  { class: 'turbo', size: '1Gi' },
  { size: '1Gi', accessMode: 'ReadWriteSometimes' },
  { size: '1Gi', extra: true },
];
