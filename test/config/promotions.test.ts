import { describe, expect, it } from "vitest";
import {
  assertPromotionAllowed,
  describePromotions,
  firstStage,
  isPromotionAllowed,
  parseConfig,
  promotionSources,
  protectedStages,
} from "../../src/config";
import type { ModelConfig } from "../../src/config";
import { thrownUserError } from "../helpers/errors";

function model(extra = ""): ModelConfig {
  const config = parseConfig(
    `models:\n  churn:\n    path: m\n    outputs: { model: x }\n${extra}`,
    "gitml.yaml",
  );
  const churn = config.models.churn;
  if (!churn) throw new Error("churn expected");
  return churn;
}

describe("promotion rules", () => {
  it("default rules follow the stage order", () => {
    const churn = model();
    expect(firstStage(churn)).toBe("staging");
    expect(isPromotionAllowed(churn, undefined, "staging")).toBe(true);
    expect(isPromotionAllowed(churn, "staging", "production")).toBe(true);
    expect(isPromotionAllowed(churn, undefined, "production")).toBe(false);
    expect(isPromotionAllowed(churn, "production", "staging")).toBe(false);
    expect(describePromotions(churn)).toBe("new -> staging, staging -> production");
  });

  it("re-entering a stage the version already reached is allowed (rollback)", () => {
    expect(isPromotionAllowed(model(), "production", "production")).toBe(true);
  });

  it("longer custom stage lists chain each stage to the previous one", () => {
    const chain = model("    stages: [dev, qa, canary, prod]\n");
    expect(firstStage(chain)).toBe("dev");
    expect(isPromotionAllowed(chain, "qa", "canary")).toBe(true);
    expect(isPromotionAllowed(chain, "dev", "canary")).toBe(false);
    expect(promotionSources(chain, "prod")).toEqual(["canary"]);
  });

  it("explicit promotions override the listed stages only", () => {
    const churn = model("    promotions:\n      production: [staging, new]\n");
    expect(isPromotionAllowed(churn, undefined, "production")).toBe(true);
    expect(isPromotionAllowed(churn, "staging", "production")).toBe(true);
    // staging is not listed, so it keeps the default: entered from a version with no stage.
    expect(isPromotionAllowed(churn, undefined, "staging")).toBe(true);
    const strict = model("    promotions:\n      staging: []\n      production: [new]\n");
    expect(isPromotionAllowed(strict, undefined, "staging")).toBe(false);
    expect(isPromotionAllowed(strict, "staging", "production")).toBe(false);
  });

  it("a forbidden transition is a UserError naming the allowed ones", () => {
    const churn = model();
    expect(() => assertPromotionAllowed(churn, "staging", "production")).not.toThrow();
    expect(
      thrownUserError(() => assertPromotionAllowed(churn, undefined, "production", { model: "churn" }))
        .message,
    ).toBe(
      "model `churn`: cannot promote from a version with no stage to `production`: allowed from: `staging` (allowed transitions: new -> staging, staging -> production)",
    );
    const closed = model("    promotions:\n      staging: []\n");
    expect(thrownUserError(() => assertPromotionAllowed(closed, undefined, "staging")).message).toBe(
      "cannot promote from a version with no stage to `staging`: nothing may be promoted into it (allowed transitions: staging -> production)",
    );
  });

  it("a stage that is not configured is a UserError listing the stages", () => {
    const churn = model();
    expect(
      thrownUserError(() => isPromotionAllowed(churn, undefined, "prod", { model: "churn" })).message,
    ).toBe(
      "model `churn`: unknown stage `prod`; configured stages: staging, production; did you mean `production`?",
    );
    expect(thrownUserError(() => isPromotionAllowed(churn, "qa", "production")).message).toBe(
      "unknown stage `qa`; configured stages: staging, production",
    );
  });

  it("protected stages: the last stage by default, configurable, checked against the stages", () => {
    expect(protectedStages(model())).toEqual(["production"]);
    expect(protectedStages(model("    stages: [dev, qa, prod]\n"))).toEqual(["prod"]);
    expect(protectedStages(model("    protected_stages: [staging, production]\n"))).toEqual([
      "staging",
      "production",
    ]);
    expect(protectedStages(model("    protected_stages: []\n"))).toEqual([]);
    // Without a gitml.yaml the default stages apply.
    expect(protectedStages(undefined)).toEqual(["production"]);
    const error = thrownUserError(() => model("    protected_stages: [prodution]\n"));
    expect(error.message).toMatch(/prodution.*not one of the model's stages.*production/s);
  });
});
