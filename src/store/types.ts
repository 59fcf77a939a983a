import type { Digest } from "./digest";
import type { FileRole, Lineage, Manifest } from "./manifest";

/** One file to store: where it is now, and the path it gets inside the version. */
export interface ArtifactInput {
  source: string;
  path: string;
  role: FileRole;
}

export interface VersionRef {
  model: string;
  version: string;
}

export interface StageRequest extends VersionRef {
  files: ArtifactInput[];
  lineage: Lineage;
}

export interface StagedVersion extends VersionRef {
  manifest: Manifest;
  /** The manifest's digest: what the registry tag records, and what downloads are checked against. */
  digest: Digest;
}

export interface StoredVersion extends VersionRef {
  digest: Digest;
}

export interface FetchRequest extends VersionRef {
  /** The digest the registry tag recorded; when given, the manifest must match it. */
  digest?: Digest;
  /** Folder the files are written into (created if needed). */
  into: string;
  /** Only the files with these roles (a baseline's metrics need not bring the model along). */
  roles?: FileRole[];
}

/** Where people see and download a published version (a GitHub Release page and its assets). */
export interface ReleaseLinks {
  releaseUrl: string;
  /** The model archive (or, when split, the manifest that lists its parts). */
  artifactUrl?: string;
  manifestUrl?: string;
}

/**
 * Where a registered version's files live. Registration stages and verifies the files BEFORE the tag is
 * pushed and publishes them after, so a tag never points at missing or unverified artifacts.
 */
export interface ArtifactStore {
  readonly kind: "local" | "github";
  /** Stores and verifies the files of a version about to be registered. Idempotent. */
  stage(request: StageRequest): Promise<StagedVersion>;
  /** Makes a staged version findable by model and version; called once its tag is pushed. */
  publish(staged: StagedVersion): Promise<void>;
  /** Forgets a staged version whose registration was abandoned. */
  discard(staged: StagedVersion): Promise<void>;
  /** Reads and verifies a version's manifest. */
  readManifest(ref: VersionRef & { digest?: Digest }): Promise<{ manifest: Manifest; digest: Digest }>;
  /** Writes a version's files into a folder, each verified against the manifest; refuses on mismatch. */
  fetch(request: FetchRequest): Promise<{ manifest: Manifest; digest: Digest; files: string[] }>;
  list(model?: string): Promise<StoredVersion[]>;
  remove(ref: VersionRef): Promise<void>;

  // Optional capabilities: what a store can do beyond holding bytes. Commands ask for them by presence.

  /** A published version's web links; a store without web pages (the local one) has none. */
  links?(ref: VersionRef): Promise<ReleaseLinks>;
  /**
   * Removes what abandoned registrations left staged (draft releases no registered tag points at) and
   * names each one removed. `registered` maps each registered version of the model to its commit.
   */
  removeOrphanDrafts?(options: {
    model: string;
    registered: ReadonlyMap<string, string>;
    minAgeMs?: number;
  }): Promise<string[]>;
}
