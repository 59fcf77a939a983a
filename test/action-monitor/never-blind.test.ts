/**
 * Issue #13 through actions/monitor as the runner runs it: schema drift opens the alert issue; a data
 * file that cannot be read is exit 2 at its file and line and never touches the issue (it used to be
 * read as "no drift" and close it as recovered).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { customersCsv } from "../helpers/data";
import { malformedCustomerFiles } from "../helpers/malformed";
import { useStandin } from "../standin";
import { createBed, describeRun, type Bed } from "./bed";

describe("actions/monitor never goes blind", () => {
  const standin = useStandin();
  let bed: Bed | undefined;
  afterEach(async () => {
    await bed?.cleanup();
    bed = undefined;
  });

  it("schema drift opens the issue; unreadable data leaves it open and untouched; recovery closes it", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    const calls = standin.current.calls;
    const live = path.join(bed.checkout, "models/churn/data/live/today.csv");

    await fs.writeFile(live, customersCsv(2000, 7).replace("age,income,plan", "age_years,income_eur,plan"));
    const schema = await bed.run();
    expect(schema.code, describeRun(schema)).toBe(0);
    expect(schema.outputs.drift).toBe("true");
    expect(JSON.parse(schema.outputs.results!)).toMatchObject([
      { model: "churn", dataset_drift: false, schema_drift: true, issue: { action: "opened" } },
    ]);
    const [issue] = bed.issues();
    expect(issue).toMatchObject({ state: "open", title: "Schema drift: churn@v0.0.1" });
    expect(issue!.body).toContain(
      "**Schema drift**: 2 of the reference's 3 columns are missing from the current data: `age`, `income`; new columns: `age_years`, `income_eur`",
    );

    const writes = () =>
      calls.count("issues/create") + calls.count("issues/update") + calls.count("issues/create-comment");
    const before = writes();
    expect(before).toBe(1);
    for (const [index, bad] of malformedCustomerFiles().entries()) {
      await fs.writeFile(live, bad.content);
      const run = await bed.run({}, { runId: 10 + index });
      expect(run.code, `${bad.name}\n${describeRun(run)}`).toBe(2);
      const shown = `${run.stdout}\n${run.stderr}`.replaceAll(live, bad.name);
      expect(shown, bad.name).toMatch(bad.error);
      expect(shown).not.toMatch(/sniff|read_csv|LINE 1|Possible fixes/i);
      expect(run.outputs.drift).toBe("false");
      expect(bed.issues()).toMatchObject([{ number: issue!.number, state: "open" }]);
      expect(bed.comments(issue!)).toEqual([]);
    }
    expect(writes()).toBe(before);

    await fs.writeFile(live, customersCsv(2000, 8));
    const recovered = await bed.run({}, { runId: 30 });
    expect(recovered.code, describeRun(recovered)).toBe(0);
    expect(bed.issues()).toMatchObject([{ state: "closed" }]);
    expect(bed.comments(issue!)[0]).toContain("no longer shows dataset or schema drift");
    expect(writes()).toBe(before + 2);
  });
});
