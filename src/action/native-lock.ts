/**
 * The DuckDB engine's packages exactly as gitml's package-lock.json pins them: version and the sha512
 * integrity of each registry tarball. The action writes these into a lock file and installs with `npm ci`,
 * which refuses any tarball whose digest differs. `test/action-monitor/native-integrity.test.ts` holds this
 * table equal to package-lock.json; after `npm install @duckdb/node-api@<new>` regenerate it from there.
 */
export interface LockedPackage {
  version: string;
  integrity: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optional?: boolean;
}

export const DUCKDB_LOCK: Record<string, LockedPackage> = {
  "@duckdb/node-api": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-ZMX+sel3DjSKbGuQ44Y5Tp5LwYjlJkhB5faKr+9sSMcxixDMSW+8vaTOD1uRDuN9o0udUoCY/XX9PI1haEZuZg==",
    dependencies: {
      "@duckdb/node-bindings": "1.5.5-r.5",
    },
  },
  "@duckdb/node-bindings": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-sR7x91TfBunLqLbdvrcdiPCU+VGEQFPicxh1STZM402fuHW2ituPTAo2bY3IlntsvJShltrKF4R6B+JYPlAPZg==",
    dependencies: {
      "detect-libc": "^2.1.2",
    },
    optionalDependencies: {
      "@duckdb/node-bindings-darwin-arm64": "1.5.5-r.5",
      "@duckdb/node-bindings-darwin-x64": "1.5.5-r.5",
      "@duckdb/node-bindings-linux-arm64": "1.5.5-r.5",
      "@duckdb/node-bindings-linux-arm64-musl": "1.5.5-r.5",
      "@duckdb/node-bindings-linux-x64": "1.5.5-r.5",
      "@duckdb/node-bindings-linux-x64-musl": "1.5.5-r.5",
      "@duckdb/node-bindings-win32-arm64": "1.5.5-r.5",
      "@duckdb/node-bindings-win32-x64": "1.5.5-r.5",
    },
  },
  "@duckdb/node-bindings-darwin-arm64": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-WJdeLTFy4pRg60rkbp9smtlP1iIQ8ErtIJkxS+2LQtM1ZZMSByyW+3WPpNoKe7IwPtVl2fLlPw7tDmQW4Z974g==",
    os: ["darwin"],
    cpu: ["arm64"],
    optional: true,
  },
  "@duckdb/node-bindings-darwin-x64": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-rN0KjX13MwVQ5V5ufykolty/tf4SaafOpGWcUA1Cegf98jPeRdsJsEE1IMXn8n3u6WvMSZEVJmHJ3ma4Hr7Vzg==",
    os: ["darwin"],
    cpu: ["x64"],
    optional: true,
  },
  "@duckdb/node-bindings-linux-arm64": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-CafH2AIvXtpwDynG3KB/4uEOHRGlFoB7auCRMIwH3BKNIobsANV5LSpDJ3tfyRCFIsK6e8AT1eseWVnu2Dv3cw==",
    os: ["linux"],
    cpu: ["arm64"],
    libc: ["glibc"],
    optional: true,
  },
  "@duckdb/node-bindings-linux-arm64-musl": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-00z3mYHUBAucp3L73EoftKDdaGOaV8ENELejiT+PK7dFjTzdXxqhJwZ1LaQV1/zEhIecz+x23f6WvFhWw+7XXQ==",
    os: ["linux"],
    cpu: ["arm64"],
    libc: ["musl"],
    optional: true,
  },
  "@duckdb/node-bindings-linux-x64": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-kCyq6BXhn6QXfwF8yVdVKriSSHP+rfVWcJ56cG8qZzlOZpxyvT5WGm6jMshxg4ditLlOsHsIN/D47RYrcjXuHQ==",
    os: ["linux"],
    cpu: ["x64"],
    libc: ["glibc"],
    optional: true,
  },
  "@duckdb/node-bindings-linux-x64-musl": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-S5qEc7F+GjXt85T2xArjjvN5oc/IjtH6zsLJsuo8N3fQolheBCefemIMdZoK2Jik8a0sBxidiS6Ld4qprMPPDw==",
    os: ["linux"],
    cpu: ["x64"],
    libc: ["musl"],
    optional: true,
  },
  "@duckdb/node-bindings-win32-arm64": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-L3Mroc23xhqOowWVElni8LgEmsm5e9DdG1y2pLka/1ug3Pl2vpQMl1Phxwz4UEMF8DOBbMgN5BBNrYwG2BFo+g==",
    os: ["win32"],
    cpu: ["arm64"],
    optional: true,
  },
  "@duckdb/node-bindings-win32-x64": {
    version: "1.5.5-r.5",
    integrity:
      "sha512-mBGFn8netT/AAhK4TOG6Fw47+Db68CxCVtQ9qfxZc1kZAjds+aYrh17Fd/u5CbTDdxILsrcyuF8q9cUcm54kQA==",
    os: ["win32"],
    cpu: ["x64"],
    optional: true,
  },
  "detect-libc": {
    version: "2.1.2",
    integrity:
      "sha512-Btj2BOOO83o3WyH59e8MgXsxEQVcarkUOpEYrubB0urwnN10yQ364rsiByU11nZlqWYZm05i/of7io4mzihBtQ==",
  },
};
