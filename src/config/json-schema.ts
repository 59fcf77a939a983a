/**
 * The JSON Schema of `gitml.yaml`, generated from the zod schema so the two cannot disagree. It
 * describes what a user writes (zod's input side: keys with defaults are optional), and carries a
 * description on every key so editors (yaml-language-server, VS Code) show help while typing.
 */
import { z } from "zod";
import {
  ConfigSchema,
  GateObjectSchema,
  GTO_DIRNAME_PATTERN,
  ImportanceRuleSchema,
  GTO_NAME_PATTERN,
  ModelsSchema,
  NEW_VERSION,
  NoRegressionSchema,
  StageNameSchema,
  StagesSchema,
} from "./schema";

/** Where the published schema lives; the lead's build writes it to dist/gitml.schema.json. */
export const CONFIG_SCHEMA_ID = "https://raw.githubusercontent.com/gitml/gitml/main/dist/gitml.schema.json";

export function configJsonSchema(options: { id?: string } = {}): Record<string, unknown> {
  const generated = z.toJSONSchema(ConfigSchema, {
    io: "input",
    target: "draft-2020-12",
    // Refinements are not JSON Schema; the ones an editor can check are added back below.
    override: ({ zodSchema, jsonSchema }) => {
      const schema = jsonSchema as Record<string, unknown>;
      if (zodSchema === ModelsSchema) {
        schema.propertyNames = {
          type: "string",
          pattern: `^(${GTO_DIRNAME_PATTERN}:)?${GTO_NAME_PATTERN}$`,
          description: "A model name (GTO grammar), optionally `dir:name` for a model kept in a sub-folder.",
        };
      } else if (zodSchema === GateObjectSchema) {
        schema.oneOf = [
          {
            required: ["metric"],
            anyOf: [{ required: ["min"] }, { required: ["max"] }, { required: ["no_regression"] }],
          },
          {
            required: ["importance"],
            not: {
              anyOf: ["metric", "min", "max", "no_regression", "direction"].map((key) => ({
                required: [key],
              })),
            },
          },
        ];
      } else if (zodSchema === ImportanceRuleSchema) {
        // Under allOf, so the reference still calls it an object.
        schema.allOf = [{ anyOf: [{ required: ["max_single"] }, { required: ["features", "min_share"] }] }];
        schema.dependentRequired = { features: ["min_share"], min_share: ["features"] };
      } else if (zodSchema === NoRegressionSchema) {
        schema.not = { required: ["tolerance", "relative"] };
      } else if (zodSchema === StagesSchema) {
        schema.uniqueItems = true;
        schema.items = { ...(schema.items as object), not: { const: NEW_VERSION } };
      } else if (zodSchema === StageNameSchema) {
        schema.pattern = `^${GTO_NAME_PATTERN}$`;
      }
      // A suite's expectations take Great Expectations' names with or without their `expect_` prefix.
      const expect = (schema.properties as Record<string, { const?: unknown }> | undefined)?.expect;
      if (typeof expect?.const === "string") {
        const { const: name, ...rest } = expect;
        (schema.properties as Record<string, unknown>).expect = { ...rest, enum: [name, `expect_${name}`] };
      }
    },
  });
  const { $schema, ...rest } = generated as Record<string, unknown>;
  return {
    $schema: $schema ?? "https://json-schema.org/draft/2020-12/schema",
    $id: options.id ?? CONFIG_SCHEMA_ID,
    title: "gitml.yaml",
    ...rest,
  };
}
