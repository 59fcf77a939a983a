/** Entry point for tests that talk to the GitHub stand-in. */
import { afterEach, beforeEach } from "vitest";
import { type Standin, type StandinOptions, startStandin } from "./server";

export { startStandin } from "./server";
export type { CallRecord, Standin, StandinOptions, Violation } from "./server";
export type { FaultSpec } from "./faults";
export { StandinState, fakeSha } from "./state";

/**
 * A fresh stand-in for every test; after each test it asserts that nothing violated GitHub's API
 * description, then closes. Read `.current` inside tests.
 */
export function useStandin(options: StandinOptions = {}): { readonly current: Standin } {
  let standin: Standin | undefined;
  beforeEach(async () => {
    standin = await startStandin(options);
  });
  afterEach(async () => {
    const closing = standin;
    standin = undefined;
    if (!closing) return;
    try {
      closing.assertNoViolations();
    } finally {
      await closing.close();
    }
  });
  return {
    get current(): Standin {
      if (!standin) throw new Error("the stand-in runs only inside a test");
      return standin;
    },
  };
}
