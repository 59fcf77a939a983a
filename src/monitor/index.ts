export {
  defaultProfileSettings,
  emptyProfile,
  inferColumnType,
  mergeAllProfiles,
  mergeProfiles,
  parseProfile,
  populationStd,
  profileFromJson,
  profileRecords,
  profileToJson,
  ProfileBuilder,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  type ColumnProfile,
  type ColumnType,
  type DatasetProfile,
  type NumericSummary,
  type ProfileSettings,
  type StorageKind,
  type Value,
  type ValueCounts,
} from "./profile";
export { defaultSketchSettings, type LogSketch, type SketchSettings } from "./sketch";
export {
  profileData,
  profileDataInChunks,
  formatOf,
  parsePartition,
  type DataFormat,
  type Partition,
  type ProfileDataOptions,
  type ProfileProgress,
} from "./read";
export {
  defaultTest,
  detectDrift,
  type ColumnDrift,
  type DriftOptions,
  type DriftReport,
  type ImportanceDrift,
  type TestChoice,
} from "./tests/detect";
export { weighDriftByImportance } from "./importance";
export { runTest, testDefaults, type TestName, type TestResult } from "./tests/stattests";
