/**
 * The DuckDB engine is the one thing gitml's actions fetch at run time, so it is pinned like a lock file:
 * exact versions and the sha512 of every tarball, as gitml's package-lock.json has them, installed by the
 * real `npm ci` with install scripts off. A registry stand-in (a local HTTP server, npm's registry pointed at
 * it) serves tarballs packed from this checkout's node_modules: bytes that differ from the published ones,
 * which the pinned integrity must refuse; under a lock naming their own digests they install and load.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DUCKDB_PACKAGE,
  engineCacheDir,
  engineProjectFiles,
  ensureDuckDb,
  npmInstallArgs,
} from "../../src/action/native";
import { DUCKDB_LOCK, type LockedPackage } from "../../src/action/native-lock";
import { tempDir } from "../helpers/repo";
import { repoRoot } from "../runner/run-action";

const quiet = { debug() {}, info() {}, warning() {}, error() {} };

describe("the pinned DuckDB engine", () => {
  it("pins what package-lock.json pins: versions, integrities, the whole dependency closure", () => {
    const lock = JSON.parse(readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as {
      packages: Record<string, LockedPackage & { license?: string; engines?: object; resolved?: string }>;
    };
    for (const [name, pinned] of Object.entries(DUCKDB_LOCK)) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, name).toBeDefined();
      const { license: _license, engines: _engines, resolved: _resolved, ...fields } = entry!;
      expect(pinned, name).toEqual(fields);
      expect(pinned.integrity, name).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
      for (const dependency of Object.keys({ ...pinned.dependencies, ...pinned.optionalDependencies }))
        expect(Object.keys(DUCKDB_LOCK), `${name} needs ${dependency}`).toContain(dependency);
    }
    // Exactly the lock (`ci` resolves no range), and no package's lifecycle scripts.
    expect(npmInstallArgs("/x").slice(0, 4)).toEqual(["ci", "--prefix", "/x", "--ignore-scripts"]);
    const { packageLock } = engineProjectFiles() as {
      packageLock: { packages: Record<string, { resolved?: string; integrity?: string }> };
    };
    expect(packageLock.packages["node_modules/@duckdb/node-api"]).toMatchObject({
      resolved: "https://registry.npmjs.org/@duckdb/node-api/-/node-api-1.5.5-r.5.tgz",
      integrity: DUCKDB_LOCK[DUCKDB_PACKAGE]!.integrity,
    });
  });

  describe("installed by the real npm ci from a registry stand-in", () => {
    let scratch: string;
    let server: Server;
    let registry: string;
    /** Tarballs by registry path, and the sha512 integrity of their bytes. */
    const tarballs = new Map<string, { file: string; integrity: string }>();
    const served: string[] = [];
    const platformBinding = `@duckdb/node-bindings-${process.platform}-${process.arch}`;
    const packed = [DUCKDB_PACKAGE, "@duckdb/node-bindings", platformBinding, "detect-libc"];

    beforeAll(async () => {
      scratch = await tempDir("gitml-native-integrity-");
      const packs = path.join(scratch, "packs");
      await fs.mkdir(packs);
      for (const name of packed) {
        const output = execFileSync("npm", ["pack", "--silent", path.join(repoRoot, "node_modules", name)], {
          cwd: packs,
          encoding: "utf8",
        }).trim();
        const file = path.join(packs, output.split("\n").at(-1)!);
        const bytes = await fs.readFile(file);
        const basename = name.split("/").at(-1)!;
        tarballs.set(`/${name}/-/${basename}-${DUCKDB_LOCK[name]!.version}.tgz`, {
          file,
          integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
        });
      }
      server = createServer((req, res) => {
        const found = tarballs.get(decodeURIComponent(req.url ?? ""));
        served.push(req.url ?? "");
        if (!found) {
          res.writeHead(404, { "content-type": "application/json" });
          res.end('{"error":"not found"}');
          return;
        }
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(readFileSync(found.file));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    }, 120_000);
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      await fs.rm(scratch, { recursive: true, force: true });
    });

    /** Resolved from nowhere, with an empty npm cache, so nothing loads but what npm installs. */
    async function install(name: string, lock?: Record<string, LockedPackage>) {
      // A module at the root of the file system, so no node_modules of a parent folder (a stray
      // /tmp/node_modules included) can answer for the engine.
      const from = pathToFileURL(
        path.join(path.parse(scratch).root, `gitml-nowhere-${name}`, "bundle.js"),
      ).href;
      const cacheRoot = path.join(scratch, name, "toolcache");
      const env = {
        ...process.env,
        NPM_CONFIG_REGISTRY: registry,
        npm_config_cache: path.join(scratch, name, "npm-cache"),
      };
      return {
        cacheRoot,
        engine: ensureDuckDb({ logger: quiet, from, cacheRoot, env, lock, installTimeoutMs: 40_000 }),
      };
    }

    it("refuses tarballs whose sha512 differs from gitml's pins, and installs nothing", async () => {
      const { cacheRoot, engine } = await install("pinned");
      await expect(engine).rejects.toThrow(
        /refused the DuckDB engine: a tarball the registry served does not match the sha512 integrity gitml pins/,
      );
      await expect(engine).rejects.toThrow(/EINTEGRITY/);
      expect(served.length).toBeGreaterThan(0);
      const parent = path.dirname(engineCacheDir(cacheRoot));
      expect(await fs.readdir(parent)).toEqual([]);
    }, 120_000);

    it("installs and loads the same bytes under a lock naming their digests", async () => {
      const lock: Record<string, LockedPackage> = {};
      for (const [name, pinned] of Object.entries(DUCKDB_LOCK)) {
        const basename = name.split("/").at(-1)!;
        const tarball = tarballs.get(`/${name}/-/${basename}-${pinned.version}.tgz`);
        lock[name] = tarball ? { ...pinned, integrity: tarball.integrity } : pinned;
      }
      const { cacheRoot, engine } = await install("own-digests", lock);
      const installed = await engine;
      expect(installed.source).toBe("installed");
      expect(installed.entry.startsWith(engineCacheDir(cacheRoot))).toBe(true);
      const project = JSON.parse(
        await fs.readFile(path.join(engineCacheDir(cacheRoot), "package-lock.json"), "utf8"),
      ) as { packages: Record<string, { integrity: string }> };
      expect(project.packages[`node_modules/${DUCKDB_PACKAGE}`]!.integrity).toBe(
        lock[DUCKDB_PACKAGE]!.integrity,
      );
      const duckdb = (await import(DUCKDB_PACKAGE)) as typeof import("@duckdb/node-api");
      const connection = await (await duckdb.DuckDBInstance.create()).connect();
      const rows = (await connection.runAndReadAll("select 40 + 2 as answer")).getRowObjects();
      expect(rows).toEqual([{ answer: 42 }]);
    }, 180_000);
  });
});
