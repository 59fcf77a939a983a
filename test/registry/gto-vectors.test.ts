/**
 * Test vectors taken from GTO's own test suite (iterative/gto), so gitml accepts exactly what GTO does.
 */
import { describe, expect, it } from "vitest";
import { formatTag, isValidName, isValidStage, parseTag } from "../../src/registry";

// From iterative/gto tests/test_constants.py (test_check_name_is_valid / _is_invalid), which checks
// `name_re`. In gitml a model name may also carry a folder, which GTO checks with `fullname_re`.
const validNames = [
  "1",
  "m",
  "nn",
  "m1",
  "1nn",
  "model-prod",
  "model-prod-v1",
  "model_prod_v1",
  "dvclive/model",
  "model_A",
  "DVCLive/Model",
];
const invalidNames = [
  "",
  "m/",
  "/m",
  "###",
  "@@@",
  "a model",
  "_model",
  "-model",
  "model-",
  "model@1",
  "model#1",
  "@namespace/model",
];
// From tests/test_constants.py test_check_fullname_is_valid and test_check_fullname_in_tag_is_valid.
const validFullnames = ["model", "dvclive:model", "some/folder:some/model", "some/Other_Folder:some/model"];
const validFullnamesInTag = [
  "model",
  "dvclive=model",
  "some/folder=some/model",
  "Some/folder/A=model",
  "Some/folder/A=Model",
];

// From iterative/gto tests/test_tag.py test_parse_wrong_names / test_parse_correct_names.
const wrongTagNames = [
  "",
  "###",
  "@@@",
  "model@v1",
  "nn#prod#-1",
  "model@v111",
  "model-prod",
  "model@0.0.1",
  "model-prod-v1",
  "model#prod#-1",
  "model#prod#1-2",
  "model#prod?#1-2",
  "model#prod@v1.2.3",
  "model@v1.2.3#prod",
  "model-prod-v1-stage",
  "model@prod@v1@stage-1",
  "namespace/model@0.0.1",
  "@namespace/model@0.0.1",
  "model#prod#v1#stage#1-",
  "model#prod-v1-stage@1-2",
  "model#prod-v1-stage@1-2#@",
];
const correctTagNames = [
  "nn#prod",
  "nn#prod!",
  "nn#prod#1",
  "nn@v1.0.0",
  "nn#prod!#2",
  "nn@v1.0.0!",
  "nn@v1.0.0#1",
  "nn@v1.0.0!#1",
  "nn@v1.0.0-rc.2",
  "nn@v1.0.0-alpha",
  "nn@v1.0.0-alpha.1",
  "nn@v1.0.0-alpha.beta",
  "new-artifact@v1.0.1!",
];

describe("GTO name vectors (tests/test_constants.py)", () => {
  it.each(validNames)("accepts %j", (name) => {
    expect(isValidName(name)).toBe(true);
    expect(isValidStage(name)).toBe(true);
  });
  it.each(invalidNames)("rejects %j", (name) => {
    expect(isValidName(name)).toBe(false);
    expect(isValidStage(name)).toBe(false);
  });
  it.each(validFullnames)("accepts the full name %j", (name) => {
    expect(isValidName(name)).toBe(true);
  });
  it.each(validFullnamesInTag)("reads %j as a tag's artifact part", (part) => {
    const parsed = parseTag(`${part}@v1.0.0`);
    expect(parsed).toEqual({ action: "register", name: part.replace("=", ":"), version: "v1.0.0" });
  });
});

describe("GTO tag vectors (tests/test_tag.py)", () => {
  it.each(wrongTagNames)("does not parse %j", (tag) => {
    expect(parseTag(tag)).toBeUndefined();
  });
  it.each(correctTagNames)("parses %j", (tag) => {
    expect(parseTag(tag)).toBeDefined();
  });

  it("parses as GTO's test_parse_name expects", () => {
    expect(parseTag("path@v1.2.3")).toEqual({ action: "register", name: "path", version: "v1.2.3" });
    expect(parseTag("path@v1.2.3#5")).toEqual({
      action: "register",
      name: "path",
      version: "v1.2.3",
      counter: 5,
    });
    expect(parseTag("path@v1.2.3!")).toEqual({ action: "deregister", name: "path", version: "v1.2.3" });
    expect(parseTag("path@v1.2.3!#2")).toEqual({
      action: "deregister",
      name: "path",
      version: "v1.2.3",
      counter: 2,
    });
    expect(parseTag("path#stage")).toEqual({ action: "assign", name: "path", stage: "stage" });
    expect(parseTag("path#stage#1")).toEqual({ action: "assign", name: "path", stage: "stage", counter: 1 });
    expect(parseTag("path#stage!#2")).toEqual({
      action: "unassign",
      name: "path",
      stage: "stage",
      counter: 2,
    });
  });

  it("names tags as GTO's test_name_tag expects (non-simple forms)", () => {
    expect(formatTag({ action: "register", name: "myartifact", version: "v1.0.0" })).toBe(
      "myartifact@v1.0.0",
    );
    expect(formatTag({ action: "register", name: "myartifact", version: "v1.0.0", counter: 1 })).toBe(
      "myartifact@v1.0.0#1",
    );
    expect(formatTag({ action: "deregister", name: "myartifact", version: "v1.0.0" })).toBe(
      "myartifact@v1.0.0!",
    );
    expect(formatTag({ action: "deregister", name: "myartifact", version: "v1.0.0", counter: 1 })).toBe(
      "myartifact@v1.0.0!#1",
    );
    expect(formatTag({ action: "assign", name: "myartifact", stage: "stage", counter: 1 })).toBe(
      "myartifact#stage#1",
    );
    expect(formatTag({ action: "unassign", name: "myartifact", stage: "stage", counter: 1 })).toBe(
      "myartifact#stage!#1",
    );
    expect(formatTag({ action: "deprecate", name: "myartifact" })).toBe("myartifact@deprecated");
  });
});
