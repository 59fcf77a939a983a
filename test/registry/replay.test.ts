import { describe, expect, it } from "vitest";
import { replay, tagMessage, versionAt } from "../../src/registry";
import type { RegistryState, TagRecord } from "../../src/registry";
import type { Logger } from "../../src/util/logger";
import { record, sha } from "./helpers";

function model(state: RegistryState, name = "churn") {
  const found = state.models.get(name);
  if (!found) throw new Error(`model ${name} not replayed`);
  return found;
}

function holders(state: RegistryState, name = "churn"): Record<string, string> {
  return Object.fromEntries(
    Object.entries(model(state, name).stages).map(([stage, s]) => [stage, s.version]),
  );
}

/** Deterministic shuffle, so order-independence is checked on a fixed permutation. */
function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe("replay: versions", () => {
  it("orders versions by semver and takes the highest active as latest", () => {
    const state = replay([
      record("churn@v1.2.0", "c2", 200),
      record("churn@v1.10.0", "c3", 100),
      record("churn@v1.9.0-rc.1", "c4", 300),
      record("churn@v0.9.0", "c1", 50),
    ]);
    const churn = model(state);
    expect(churn.versions.map((v) => v.version)).toEqual(["v1.10.0", "v1.9.0-rc.1", "v1.2.0", "v0.9.0"]);
    expect(churn.latest?.version).toBe("v1.10.0");
    expect(churn.latest?.commit).toBe(sha("c3"));
    expect(churn.deprecated).toBe(false);
  });

  it("deregistration deactivates a version and latest falls back", () => {
    const state = replay([
      record("churn@v1.0.0", "c1", 100),
      record("churn@v2.0.0", "c2", 200),
      record("churn@v2.0.0!", "c2", 300),
    ]);
    const churn = model(state);
    expect(churn.latest?.version).toBe("v1.0.0");
    expect(churn.versions.find((v) => v.version === "v2.0.0")?.active).toBe(false);
    expect(churn.events.map((e) => e.type)).toEqual(["registration", "registration", "deregistration"]);
  });

  it("a later re-registration at the same commit revives a deregistered version (GTO)", () => {
    const state = replay([
      record("churn@v1.0.0", "c1", 100),
      record("churn@v1.0.0!", "c1", 200),
      record("churn@v1.0.0#3", "c1", 300),
    ]);
    expect(model(state).latest?.version).toBe("v1.0.0");
    expect(model(state).latest?.tag).toBe("churn@v1.0.0#3");
  });

  // GTO (gto/base.py `Artifact.add_event` -> `find_version(version, commit_hexsha, create_new=True)`)
  // reads each of these as an event of a (possibly new) version: none vanishes.
  it("keeps a re-registration at another commit and stray deregistrations as events", () => {
    const state = replay([
      record("churn@v1.0.0", "c1", 100),
      record("churn@v1.0.0#2", "c2", 200),
      record("churn@v3.0.0!", "c3", 300),
      record("churn@v1.0.0!#4", "c9", 400),
    ]);
    // The version stays at its first commit; a version only ever deregistered is known, inactive.
    expect(model(state).versions.map((v) => [v.version, v.commit, v.active])).toEqual([
      ["v3.0.0", sha("c3"), false],
      ["v1.0.0", sha("c1"), true],
    ]);
    expect(model(state).latest?.version).toBe("v1.0.0");
    expect(state.ignored).toEqual([]);
    expect(model(state).events.map((e) => [e.tag, e.type, e.version])).toEqual([
      ["churn@v1.0.0", "registration", "v1.0.0"],
      ["churn@v1.0.0#2", "registration", "v1.0.0"],
      ["churn@v3.0.0!", "deregistration", "v3.0.0"],
      ["churn@v1.0.0!#4", "deregistration", "v1.0.0"],
    ]);
  });
});

describe("replay: stages", () => {
  const base = [
    record("churn@v1.0.0", "c1", 100),
    record("churn@v2.0.0", "c2", 200),
    record("churn#prod#1", "c1", 110),
    record("churn#staging#2", "c2", 210),
    record("churn#prod#3", "c2", 300),
  ];

  it("the most recent assignment holds the stage", () => {
    const state = replay(base);
    expect(holders(state)).toEqual({ prod: "v2.0.0", staging: "v2.0.0" });
    expect(model(state).stages.prod).toEqual({
      stage: "prod",
      version: "v2.0.0",
      commit: sha("c2"),
      tag: "churn#prod#3",
      date: 300,
    });
    expect(model(state).versions.find((v) => v.version === "v2.0.0")?.stages).toEqual(["prod", "staging"]);
    expect(model(state).versions.find((v) => v.version === "v1.0.0")?.stages).toEqual([]);
  });

  it("re-assigning an older version rolls back", () => {
    const state = replay([...base, record("churn#prod#4", "c1", 400)]);
    expect(holders(state).prod).toBe("v1.0.0");
  });

  it("unassigning the holder hands the stage back to the previous, never-undone assignment (GTO)", () => {
    const state = replay([...base, record("churn#prod!#4", "c2", 400)]);
    expect(holders(state)).toEqual({ prod: "v1.0.0", staging: "v2.0.0" });
    const cleared = replay([...base, record("churn#prod!#4", "c2", 400), record("churn#prod!#5", "c1", 500)]);
    expect(holders(cleared)).toEqual({ staging: "v2.0.0" });
  });

  it("deregistering the holder hands the stage back too", () => {
    const state = replay([...base, record("churn@v2.0.0!", "c2", 400)]);
    expect(holders(state)).toEqual({ prod: "v1.0.0" });
  });

  it("a stage tag concerns the version registered at its commit, even one registered later (GTO indexes registrations first)", () => {
    const state = replay([record("churn#prod#1", "c1", 100), record("churn@v1.0.0", "c1", 200)]);
    expect(holders(state)).toEqual({ prod: "v1.0.0" });
    expect(model(state).events.map((e) => [e.type, e.version])).toEqual([
      ["assignment", "v1.0.0"],
      ["registration", "v1.0.0"],
    ]);
  });

  it("a stage tag on a commit with no version is held by the commit, as GTO records it", () => {
    const state = replay([record("churn@v1.0.0", "c1", 100), record("churn#dev#1", "c7", 200)]);
    expect(holders(state)).toEqual({ dev: sha("c7") });
    expect(model(state).latest?.version).toBe("v1.0.0");
    expect(model(state).versions).toHaveLength(1);
  });

  it("reads GTO's simple forms", () => {
    const state = replay([record("churn@v1.0.0", "c1", 100), record("churn#prod", "c1", 200)]);
    expect(holders(state)).toEqual({ prod: "v1.0.0" });
    expect(
      replay([
        record("churn@v1.0.0", "c1", 100),
        record("churn#prod", "c1", 200),
        record("churn#prod!", "c1", 300),
      ]).models.get("churn")?.stages,
    ).toEqual({});
  });
});

describe("replay: deprecation", () => {
  it("hides the model, and a later event revives it", () => {
    const deprecated = replay([record("churn@v1.0.0", "c1", 100), record("churn@deprecated", "c1", 200)]);
    expect(model(deprecated).deprecated).toBe(true);
    expect(model(deprecated).latest?.version).toBe("v1.0.0");
    const revived = replay([
      record("churn@v1.0.0", "c1", 100),
      record("churn@deprecated", "c1", 200),
      record("churn@v1.1.0", "c2", 300),
    ]);
    expect(model(revived).deprecated).toBe(false);
    const redeprecated = replay([
      record("churn@v1.0.0", "c1", 100),
      record("churn@deprecated", "c1", 200),
      record("churn#prod#2", "c1", 300),
      record("churn@deprecated#3", "c1", 400),
    ]);
    expect(model(redeprecated).deprecated).toBe(true);
  });
});

describe("replay: order and ties at equal seconds", () => {
  it("gives the same result whatever order the records come in", () => {
    const records = [
      record("churn@v1.0.0", "c1", 100),
      record("churn#prod#1", "c1", 100),
      record("churn@v1.1.0", "c2", 100),
      record("churn#prod#2", "c2", 100),
      record("churn#prod#10", "c1", 100),
      record("churn@deprecated#11", "c1", 100),
    ];
    const a = replay(records);
    const b = replay(shuffled(records));
    const c = replay([...records].reverse());
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    // deprecation < registration < assignment at equal seconds; then #N numerically (#10 after #2).
    expect(model(a).events.map((e) => e.tag)).toEqual([
      "churn@deprecated#11",
      "churn@v1.0.0",
      "churn@v1.1.0",
      "churn#prod#1",
      "churn#prod#2",
      "churn#prod#10",
    ]);
    expect(holders(a).prod).toBe("v1.0.0");
    expect(model(a).deprecated).toBe(false);
  });

  it("an unassignment in the same second as an assignment comes after it (GTO's priority)", () => {
    const state = replay([
      record("churn@v1.0.0", "c1", 100),
      record("churn#prod!#2", "c1", 200),
      record("churn#prod#1", "c1", 200),
    ]);
    expect(holders(state)).toEqual({});
  });

  it("breaks remaining ties by tag name", () => {
    const records = [record("b@v1.0.0", "c1", 5), record("a@v1.0.0", "c1", 5)];
    expect(replay(records)).toEqual(replay([...records].reverse()));
  });
});

describe("replay: ignored tags and counters", () => {
  it("ignores lightweight tags but counts their #N", () => {
    const state = replay([
      record("churn@v1.0.0", "c1", 100),
      record("churn#prod#1", "c1", 110),
      record("churn#prod#7", "c1", 120, { annotated: false }),
      record("churn@v9.0.0", "c9", 130, { annotated: false }),
    ]);
    expect(state.ignored.map((i) => i.tag)).toEqual(["churn#prod#7", "churn@v9.0.0"]);
    expect(state.ignored[0]!.reason).toMatch(/lightweight/);
    expect(model(state).latest?.version).toBe("v1.0.0");
    expect(model(state).nextCounter).toBe(8);
  });

  it("keeps the first record of a tag listed twice, in name order or not", () => {
    const first = record("churn@v1.0.0", "c1", 100);
    const again = record("churn@v1.0.0", "c2", 200);
    const later = record("churn@v2.0.0", "c3", 300);
    // Names ascending until the repeat (git's order, checked without a set), then out of order, and a
    // repeat that is not next to its first record.
    for (const records of [
      [first, later, again],
      [later, first, again],
      [first, again, later],
      [record("a@v1.0.0", "c0", 50), first, later, record("b@v1.0.0", "c0", 60), again],
    ]) {
      const state = replay(records);
      expect(state.ignored).toEqual([
        { tag: "churn@v1.0.0", reason: "listed twice; the first record counts" },
      ]);
      const versions = model(state).versions.map((v) => [v.version, v.commit]);
      expect(versions).toEqual([
        ["v2.0.0", sha("c3")],
        ["v1.0.0", sha("c1")],
      ]);
    }
    expect(replay([first, later]).ignored).toEqual([]);
  });

  it("takes the counter over every kind of tag of the model, per model", () => {
    const state = replay([
      record("churn@v1.0.0#4", "c1", 100),
      record("churn#prod#2", "c1", 110),
      record("other@v1.0.0", "c1", 100),
      record("other#prod#9", "c1", 100),
    ]);
    expect(model(state).nextCounter).toBe(5);
    expect(model(state, "other").nextCounter).toBe(10);
    expect(replay([record("x@v1.0.0", "c", 1)]).models.get("x")?.nextCounter).toBe(1);
  });

  it("reports registry-looking tags that do not parse, and skips the rest silently", () => {
    const state = replay([
      record("churn@1.0.0", "c1", 100),
      record("churn#prod#x", "c1", 100),
      record("churn@created", "c1", 100),
      record("v1.0.0", "c1", 100),
      record("release", "c1", 100),
    ]);
    expect(state.models.size).toBe(0);
    expect(state.ignored.map((i) => i.tag)).toEqual(["churn@1.0.0", "churn#prod#x", "churn@created"]);
    expect(state.ignored[2]!.reason).toMatch(/created/);
  });

  it("handles models in folders", () => {
    const state = replay([
      record("models/x=churn@v1.0.0", "c1", 1),
      record("models/x=churn#prod#1", "c1", 2),
    ]);
    expect(holders(state, "models/x:churn")).toEqual({ prod: "v1.0.0" });
  });
});

describe("replay: messages and look-ups", () => {
  it("parses metadata into events and versions, and warns about malformed blocks", () => {
    const metadata = { metrics: { accuracy: 0.9 }, pr: 12 };
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warning: (m) => warnings.push(m) };
    const state = replay(
      [
        record("churn@v1.0.0", "c1", 100, {
          message: tagMessage({ action: "register", name: "churn", version: "v1.0.0" }, undefined, metadata),
        }),
        record("churn#prod#1", "c1", 200, { message: "Assigning\n\nGitml-Pr: nope\n" }),
      ],
      { logger },
    );
    expect(model(state).versions[0]!.metadata).toEqual(metadata);
    expect(model(state).events[0]!.metadata).toEqual(metadata);
    expect(model(state).events[0]!.message).toBe(
      'Registering artifact churn version v1.0.0\n\nGitml-Metrics: {"accuracy":0.9}\nGitml-Pr: 12',
    );
    expect(model(state).events[1]!.metadata).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^tag churn#prod#1: ignored Gitml-Pr/)]);
  });

  it("finds the version at a commit", () => {
    const state = replay([record("churn@v1.0.0", "c1", 100), record("churn@v2.0.0", "c2", 200)]);
    expect(versionAt(state, "churn", sha("c2"))?.version).toBe("v2.0.0");
    expect(versionAt(state, "churn", sha("c3"))).toBeUndefined();
    expect(versionAt(state, "nope", sha("c1"))).toBeUndefined();
  });
});

describe("replay at scale", () => {
  it("replays 10,000 generated tags correctly", () => {
    // 100 models x (40 registrations + 40 assignments + 10 unassignments + 10 deregistrations).
    const records: TagRecord[] = [];
    const expected = new Map<string, { latest: string; prod?: string; counter: number }>();
    for (let m = 0; m < 100; m++) {
      const name = m % 10 === 0 ? `team${m}:model${m}` : `model${m}`;
      const tagName = name.replace(":", "=");
      let time = 1_700_000_000 + m;
      let counter = 0;
      const active: number[] = [];
      const prodHistory: number[] = []; // assignment stack of versions whose prod assignment still stands
      for (let v = 1; v <= 40; v++) {
        const commit = `${m}-${v}`;
        records.push(record(`${tagName}@v1.${v}.0`, commit, (time += 1)));
        active.push(v);
        records.push(record(`${tagName}#prod#${++counter}`, commit, time)); // same second as the registration
        prodHistory.push(v);
        if (v % 4 === 0) {
          records.push(record(`${tagName}#prod!#${++counter}`, commit, (time += 1)));
          prodHistory.splice(prodHistory.lastIndexOf(v), 1);
        }
        if (v % 4 === 2) {
          records.push(record(`${tagName}@v1.${v}.0!`, commit, (time += 1)));
          active.splice(active.indexOf(v), 1);
        }
      }
      const standing = prodHistory.filter((v) => active.includes(v));
      expected.set(name, {
        latest: `v1.${Math.max(...active)}.0`,
        prod: standing.length ? `v1.${standing[standing.length - 1]}.0` : undefined,
        counter: counter + 1,
      });
    }
    expect(records).toHaveLength(10_000);

    const state = replay(shuffled(records, 3));
    expect(state.ignored).toEqual([]);
    expect(state.models.size).toBe(100);
    for (const [name, want] of expected) {
      const got = model(state, name);
      expect(got.latest?.version, name).toBe(want.latest);
      expect(got.stages.prod?.version, name).toBe(want.prod);
      expect(got.nextCounter, name).toBe(want.counter);
      expect(got.events).toHaveLength(100);
      expect(got.versions).toHaveLength(40);
    }
  });
});

describe("replaysLast", () => {
  it("refuses any tag in a second (or a few skewed seconds ahead) where the model already has an event", async () => {
    const { replay, replaysLast } = await import("../../src/registry");
    const record = (tag: string, date: number, commit = "a".repeat(40)) => ({
      tag,
      annotated: true,
      commit,
      date,
      taggerName: "t",
      taggerEmail: "t@example.com",
      message: "m",
    });
    const state = replay([record("m@v1.0.0", 100), record("m#prod#1", 100), record("m@v1.0.0!", 101)]);
    const model = state.models.get("m");
    // A deprecation has GTO's lowest priority: in the deregistration's second it would replay first.
    expect(replaysLast(model, "m@deprecated", 101)).toBe(false);
    expect(replaysLast(model, "m@deprecated", 102)).toBe(true);
    // Even where gitml's priorities would order it last, a tie is left to readers' rules (GTO orders
    // same-second assignments by registration, not by counter): the writer waits instead.
    expect(replaysLast(model, "m#prod!#2", 101)).toBe(false);
    expect(
      replaysLast(
        replay([record("m@v1.0.0", 100), record("m#prod#5", 100)]).models.get("m"),
        "m#prod#6",
        100,
      ),
    ).toBe(false);
    // A clock a little behind another writer's waits for it; one far behind cannot, and does not hang.
    expect(replaysLast(model, "m#prod#2", 97)).toBe(false);
    expect(replaysLast(model, "m#prod#2", 90)).toBe(true);
    // Other models' events do not matter.
    expect(replaysLast(undefined, "m@v1.0.0", 0)).toBe(true);
  });
});
