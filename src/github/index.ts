export {
  createOctokit,
  GitHubPermissionError,
  httpStatusOf,
  isPermissionError,
  isServerOrNetworkError,
  rethrowPermission,
  type CreateOctokitOptions,
  type GitHubClient,
} from "./client";
export {
  findMarkedComment,
  markerComment,
  upsertStickyComment,
  withMarker,
  type StickyCommentOptions,
  type StickyCommentResult,
} from "./comments";
export {
  upsertAlertIssue,
  type AlertIssueAction,
  type AlertIssueOptions,
  type AlertIssueResult,
} from "./issues";
export {
  ANNOTATIONS_PER_REQUEST,
  candidateRecordId,
  checkRunName,
  createCheckRun,
  listCandidateRecords,
  type CandidateRecord,
  type CheckAnnotation,
  type CheckConclusion,
  type CheckRunResult,
  type CreateCheckRunOptions,
} from "./checks";
