import { describe, expect, it } from "vitest";
import { decideLocalOnlyTags } from "../../src/git/registry-sync";
import type { TagRecord } from "../../src/registry/types";

const C1 = "1".repeat(40);
const C2 = "2".repeat(40);
const C3 = "3".repeat(40);

let clock = 1_700_000_000;
function tag(name: string, commit: string, message: string): TagRecord {
  clock += 10;
  return {
    tag: name,
    annotated: true,
    commit,
    date: clock,
    taggerName: "t",
    taggerEmail: "t@example.com",
    message: `${message}\n`,
  };
}

async function decide(remote: TagRecord[], local: TagRecord[], storeHas = true) {
  const decisions = await decideLocalOnlyTags(remote, local, {
    remote: "origin",
    artifactsOf: async () => (storeHas ? undefined : null),
  });
  return Object.fromEntries(decisions.map((d) => [d.record.tag, d.reason ?? "publish"]));
}

describe("local registry tags origin lacks: publish or drop", () => {
  it("publishes what is still valid on top of origin's tags, in dependency order", async () => {
    const remote = [tag("m@v1.0.0", C1, "Registering artifact m version v1.0.0")];
    const local = [
      tag("m@v1.1.0", C2, "Registering artifact m version v1.1.0"),
      tag("m#prod#1", C2, "Assigning stage prod to artifact m version v1.1.0"),
      tag("m@v1.0.0!", C1, "Deregistering artifact m version v1.0.0"),
    ];
    expect(await decide(remote, local)).toEqual({
      "m@v1.1.0": "publish",
      "m#prod#1": "publish",
      "m@v1.0.0!": "publish",
    });
  });

  it("drops a registration whose number or commit origin used, and what depends on it", async () => {
    const remote = [
      tag("m@v1.0.0", C1, "Registering artifact m version v1.0.0"),
      tag("m@v2.0.0", C3, "Registering artifact m version v2.0.0"),
    ];
    const local = [
      tag("m@v1.0.0", C2, "Registering artifact m version v1.0.0"), // same name: never local-only in practice
      tag("m@v3.0.0", C3, "Registering artifact m version v3.0.0"),
      tag("m#prod#1", C3, "Assigning stage prod to artifact m version v3.0.0"),
    ];
    const decided = await decide(remote, local.slice(1));
    expect(decided["m@v3.0.0"]).toMatch(/registered m@v2\.0\.0 on the same commit/);
    // It assigned v3.0.0 (the version at C3 locally); published, it would put origin's v2.0.0 in prod.
    expect(decided["m#prod#1"]).toMatch(/concerns m@v3\.0\.0, whose local registration was dropped/);
  });

  it("drops a registration whose artifacts the store lacks, and its stage tag", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const local = [
      tag("m@v1.0.0", C1, `Registering artifact m version v1.0.0\n\nGitml-Artifact-Digest: ${digest}`),
      tag("m#prod#1", C1, "Assigning stage prod to artifact m version v1.0.0"),
    ];
    const decided = await decide([], local, false);
    expect(decided["m@v1.0.0"]).toMatch(/not in the store/);
    expect(decided["m#prod#1"]).toMatch(/whose local registration was dropped/);
  });

  it("drops a #N tag whose counter origin used, and keeps the next one", async () => {
    const remote = [
      tag("m@v1.0.0", C1, "Registering artifact m version v1.0.0"),
      tag("m#prod#1", C1, "Assigning stage prod to artifact m version v1.0.0"),
    ];
    const local = [
      tag("m#dev#1", C1, "Assigning stage dev to artifact m version v1.0.0"),
      tag("m#dev#2", C1, "Assigning stage dev to artifact m version v1.0.0"),
    ];
    const decided = await decide(remote, local);
    expect(decided["m#dev#1"]).toMatch(/already has a tag of m numbered #1/);
    expect(decided["m#dev#2"]).toBe("publish");
  });
});
