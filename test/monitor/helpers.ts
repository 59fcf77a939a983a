import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { profileRecords, type DatasetProfile } from "../../src/monitor/profile";
import { SYSTEM_PYTHON, systemPythonHas } from "../helpers/python";

export const python = SYSTEM_PYTHON;

/** scipy is installed from Debian (apt-get install python3-scipy python3-numpy python3-pandas). */
export function hasScipy(): boolean {
  return systemPythonHas("scipy", "numpy");
}

export interface Scenario {
  name: string;
  type: "numeric" | "categorical";
  ref: string;
  cur: string;
  n_ref: number;
  n_cur: number;
  exact: Record<string, number>;
}

export function generateScenarios(dir: string): Scenario[] {
  const script = join(import.meta.dirname, "fixtures", "scipy_reference.py");
  return JSON.parse(
    execFileSync(python, [script, dir], { encoding: "utf8", maxBuffer: 64 << 20 }),
  ) as Scenario[];
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "gitml-monitor-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A one-column CSV as written by the fixture script, profiled by the in-memory builder. */
export function profileOneColumnCsv(path: string, numeric: boolean): DatasetProfile {
  const lines = readFileSync(path, "utf8").trim().split("\n").slice(1);
  return profileRecords(lines.map((l) => ({ x: numeric ? Number(l) : l })));
}
