// One measured run in a fresh process (so that its peak RSS is its own): profiles the reference and
// the current data with gitml's monitor core, at the same time as `gitml monitor` does, and runs the
// drift tests.
// Usage: node bench/monitor/profile-run.mjs BUNDLE REFERENCE CURRENT [memoryLimit]
const [bundle, reference, current, memoryLimit = "1GB"] = process.argv.slice(2);
const monitor = await import(bundle);
const t0 = performance.now();
const finished = {};
const timed = (side, paths) =>
  monitor.profileData({ paths, memoryLimit }).then((profile) => {
    finished[side] = (performance.now() - t0) / 1000;
    return profile;
  });
const [ref, cur] = await Promise.all([timed("reference", [reference]), timed("current", [current])]);
const t2 = performance.now();
const report = monitor.detectDrift({ reference: ref, current: cur });
const t3 = performance.now();
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    profile_reference_s: finished.reference,
    profile_current_s: finished.current,
    drift_tests_s: (t3 - t2) / 1000,
    total_s: (t3 - t0) / 1000,
    cpu_s: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    peak_rss_mb: usage.maxRSS / 1024,
    profile_json_mb: monitor.profileToJson(ref).length / 1e6,
    columns: report.number_of_columns,
    drifted: report.number_of_drifted_columns,
    errors: report.number_of_column_errors,
    tests: [...new Set(report.columns.map((c) => c.test))],
  }),
);
