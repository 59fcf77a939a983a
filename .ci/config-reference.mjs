// Writes the gitml.yaml reference into docs/config.md (between the config-reference markers) from the JSON
// Schema that the zod schema generates, so the documentation cannot drift from what gitml accepts.
import { readFileSync, writeFileSync } from "node:fs";

export function configReference(schema) {
  const rows = [];
  const typeOf = (node) => {
    if (node.enum) return node.enum.map((v) => `\`${v}\``).join(" \\| ");
    if (node.anyOf || node.oneOf) return [...new Set((node.anyOf ?? node.oneOf).map(typeOf))].join(" \\| ");
    if (node.type === "array") return `list of ${typeOf(node.items ?? {})}`;
    return node.type ?? "any";
  };
  const walk = (node, key, required) => {
    const objectNode = node.properties ? node : node.items?.properties ? node.items : undefined;
    const def =
      node.default !== undefined ? `\`${JSON.stringify(node.default)}\`` : required ? "required" : "";
    if (key)
      rows.push(
        `| \`${key}\` | ${typeOf(node)} | ${def} | ${(node.description ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ")} |`,
      );
    if (objectNode) {
      const prefix = key ? (node.type === "array" ? `${key}[]` : key) : "";
      for (const [name, child] of Object.entries(objectNode.properties)) {
        walk(child, prefix ? `${prefix}.${name}` : name, (objectNode.required ?? []).includes(name));
      }
    }
    if (
      node.additionalProperties &&
      typeof node.additionalProperties === "object" &&
      node.additionalProperties.properties
    ) {
      walk(node.additionalProperties, `${key}.<name>`, false);
    }
    for (const variant of node.anyOf ?? node.oneOf ?? []) if (variant.properties) walk(variant, key, false);
  };
  walk(schema, "", false);
  const unique = [...new Map(rows.map((r) => [r.split(" | ")[0], r])).values()];
  return ["| key | type | default | meaning |", "|---|---|---|---|", ...unique].join("\n");
}

export function updateConfigReference(docPath, schemaPath) {
  const doc = readFileSync(docPath, "utf8");
  const table = configReference(JSON.parse(readFileSync(schemaPath, "utf8")));
  const marker = /<!-- config-reference -->[\s\S]*?<!-- \/config-reference -->|<!-- config-reference -->/;
  // A page without the marker would silently stop being generated: the build fails instead.
  if (!marker.test(doc))
    throw new Error(`${docPath}: no <!-- config-reference --> marker to write the gitml.yaml reference at`);
  const block = `<!-- config-reference -->\n${table}\n<!-- /config-reference -->`;
  writeFileSync(docPath, doc.replace(marker, block));
}
