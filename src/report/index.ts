export * from "./types";
export { renderMarkdown, fitToCommentLimit, escapeMarkdown, GITHUB_COMMENT_LIMIT } from "./markdown";
export type { MarkdownOptions, FitOptions } from "./markdown";
export { renderHtml } from "./html";
export { renderText } from "./text";
export {
  stickyMarkerLine,
  formatNumber,
  formatDelta,
  formatPercent,
  verdictOf,
  verdictSentence,
  checkCounts,
  type Verdict,
  type CheckCounts,
} from "./format";
export { renderDriftMarkdown, type DriftReportContext } from "./drift";
