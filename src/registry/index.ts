/** gitml's registry core: GTO's tag grammar, tag messages, state replay and version bumps. Pure code. */
export type * from "./types";
export {
  MAX_NAME_LENGTH,
  MAX_STAGE_LENGTH,
  MAX_VERSION_LENGTH,
  SEPARATOR_IN_NAME,
  SEPARATOR_IN_TAG,
  assertValidName,
  assertValidStage,
  assertValidVersion,
  isValidName,
  isValidStage,
  isValidVersion,
  nameToTagPart,
  splitName,
  tagPartToName,
} from "./names";
export { MAX_TAG_LENGTH, eventTypeOf, formatTag, looksLikeRegistryTag, parseTag } from "./tags";
export {
  ALL_METRICS_FILE,
  TAG_METRICS_MAX_BYTES,
  TRAILER_KEYS,
  formatTrailers,
  headlineMetrics,
  gtoSentence,
  parseTagMessage,
  tagMessage,
  metadataProblem,
  type ParsedTagMessage,
} from "./message";
export {
  EVENT_PRIORITY,
  compareVersionsDescending,
  isCommitVersion,
  replay,
  replaysLast,
  versionAt,
  type ReplayOptions,
} from "./replay";
export {
  FIRST_VERSION,
  findModel,
  findVersion,
  nextCounterFor,
  nextVersion,
  nextVersionFor,
  parseShortcut,
  resolveShortcut,
  stageHolder,
  type Bump,
  type Shortcut,
} from "./bump";
export {
  checkRefJson,
  eventJson,
  historyJson,
  isoformat,
  showModelJson,
  showRegistryJson,
  usedStages,
  type GtoEventJson,
  type GtoHistoryEntry,
  type GtoRegistryEntry,
  type GtoVersionJson,
  type GtoVStageJson,
  type ShowOptions,
} from "./gto-json";
