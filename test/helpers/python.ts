/**
 * Debian's scientific Python (python3-scipy, -sklearn, -pandas) lives in the system interpreter; a pyenv or
 * venv python3 on PATH may lack it, so cross-checks call it by path.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const SYSTEM_PYTHON = "/usr/bin/python3";

/** True when the system interpreter imports every module named. */
export function systemPythonHas(...modules: string[]): boolean {
  if (!existsSync(SYSTEM_PYTHON)) return false;
  try {
    execFileSync(SYSTEM_PYTHON, ["-c", `import ${modules.join(", ")}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
