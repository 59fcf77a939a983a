// One measured run in a fresh process (so that its peak RSS is its own): profiles the reference and
// the current data with gitml's monitor core and runs the drift tests.
// Usage: node bench/monitor/profile-run.mjs BUNDLE REFERENCE CURRENT [memoryLimit]
const [bundle, reference, current, memoryLimit = "1GB"] = process.argv.slice(2);
const monitor = await import(bundle);
const t0 = performance.now();
const ref = await monitor.profileData({ paths: [reference], memoryLimit });
const t1 = performance.now();
const cur = await monitor.profileData({ paths: [current], memoryLimit });
const t2 = performance.now();
const report = monitor.detectDrift({ reference: ref, current: cur });
const t3 = performance.now();
console.log(
  JSON.stringify({
    profile_reference_s: (t1 - t0) / 1000,
    profile_current_s: (t2 - t1) / 1000,
    drift_tests_s: (t3 - t2) / 1000,
    total_s: (t3 - t0) / 1000,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    profile_json_mb: monitor.profileToJson(ref).length / 1e6,
    columns: report.number_of_columns,
    drifted: report.number_of_drifted_columns,
    errors: report.number_of_column_errors,
    tests: [...new Set(report.columns.map((c) => c.test))],
  }),
);
