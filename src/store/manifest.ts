import { z } from "zod";
import { UserError } from "../util/errors";
import { sha256Bytes, type Digest } from "./digest";

/** What a stored file is for; the GitHub store names its Release assets after these. */
export const FILE_ROLES = [
  "model",
  "metrics",
  "params",
  "reference",
  "profile",
  "importances",
  "model-card",
  "other",
] as const;
export type FileRole = (typeof FILE_ROLES)[number];

/**
 * A role as a reader accepts it: any role name, so an older gitml reads the manifests of a newer one
 * (which may add roles, as `importances` was added). A file of a role the reader does not know is kept
 * in the manifest and verified like any file when fetched; nothing else uses it. Writers write only
 * FILE_ROLES (serializeManifest checks).
 */
const StoredRoleSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,63}$/, "must be a role name (lowercase letters, digits and dashes)");

// A manifest may come from a store someone else can write to: its paths must never escape the folder
// they are downloaded into.
export const safeRelativePath = z
  .string()
  .min(1)
  .refine(
    (p) =>
      !p.startsWith("/") &&
      !p.includes("\\") &&
      p.split("/").every((s) => s !== "" && s !== ".." && s !== "."),
    {
      message: "must be a relative path inside the version's folder",
    },
  );

export const ManifestFileSchema = z.object({
  path: safeRelativePath,
  role: StoredRoleSchema,
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const LineageSchema = z.object({
  commit: z.string().regex(/^[0-9a-f]{40,64}$/),
  pr: z.number().int().positive().optional(),
  runUrl: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  dataFingerprint: z.string().optional(),
  parentVersion: z.string().optional(),
  /** True when the reviewed candidate was unavailable and the model was retrained at merge. */
  retrained: z.boolean().optional(),
});

export const ManifestSchema = z.object({
  schema: z.literal("gitml.manifest/v1"),
  model: z.string(),
  version: z.string(),
  createdAt: z.string(),
  files: z.array(ManifestFileSchema),
  lineage: LineageSchema,
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestFile = z.infer<typeof ManifestFileSchema>;
export type Lineage = z.infer<typeof LineageSchema>;

/** The manifest's bytes as stored: its digest is what the registry tag records. */
export function serializeManifest(manifest: Manifest): { bytes: string; digest: Digest } {
  const unknown = manifest.files.find((file) => !isFileRole(file.role));
  if (unknown) throw new Error(`a manifest may not be written with role '${unknown.role}' (${unknown.path})`);
  const bytes = `${JSON.stringify(manifest, null, 2)}\n`;
  return { bytes, digest: sha256Bytes(bytes) };
}

export function parseManifest(bytes: string, where: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes);
  } catch (error) {
    throw new UserError(
      `the manifest is not valid JSON (${(error as Error).message}): the store is corrupted`,
      {
        where,
      },
    );
  }
  const result = ManifestSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new UserError(`the manifest is malformed (${problems}): the store is corrupted`, { where });
  }
  return result.data;
}

export function isFileRole(role: string): role is FileRole {
  return (FILE_ROLES as readonly string[]).includes(role);
}
