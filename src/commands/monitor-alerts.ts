/**
 * Monitoring's GitHub sinks: the alert issue (one per model, see github/issues) and the retraining
 * dispatch. The action constructs them; `monitor()` decides when they are called.
 */
import { rethrowPermission, upsertAlertIssue, type GitHubClient } from "../github";
import type {
  AlertSink,
  AlertUpdate,
  MonitoredModel,
  RetrainOutcome,
  RetrainTrigger,
} from "../monitor/alerts";
import { fitToCommentLimit } from "../report";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";

/** Issue bodies and comments must fit GitHub's 65,536 characters, with room for the marker and preamble. */
const ISSUE_TEXT_LIMIT = 60_000;
const SUMMARY_POINTER =
  "_Shortened to fit GitHub's limit: the full report is in the workflow run's job summary._";

interface Repository {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  /** The workflow run monitoring runs in, linked from every text. */
  runUrl: string;
  logger: Logger;
}

/** `@handle` for GitHub handles and teams; anything else (an e-mail, a name) as written. */
function mention(owner: string): string {
  const trimmed = owner.trim();
  if (/^@?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\/[A-Za-z0-9._-]+)?$/.test(trimmed))
    return trimmed.startsWith("@") ? trimmed : `@${trimmed}`;
  return trimmed;
}

function subject(verdict: MonitoredModel): string {
  return `\`${verdict.model}\`${verdict.version ? ` ${verdict.version} (${verdict.stage})` : ""}`;
}

const percentOf = (share: number) => `${Number((share * 100).toPrecision(3))} %`;

/**
 * "3 of 10 columns drifted (share 0.3 ≥ 0.25)", with the share of the model's importance they hold when
 * the version recorded importances, led by the schema drift when there is one.
 */
export function shareSentence(verdict: Pick<MonitoredModel, "drift">): string {
  const d = verdict.drift;
  const share = Number(d.share_of_drifted_columns.toFixed(3));
  const importance = d.importance;
  const weighed = importance && d.columns.some((c) => c.importance !== undefined);
  const shares =
    importance?.decided_by === "importance"
      ? `${d.number_of_drifted_columns} of ${d.number_of_columns} columns drifted, holding ${percentOf(importance.drifted_share)} of the model's importance (${d.dataset_drift ? "≥" : "<"} ${percentOf(importance.threshold!)})`
      : `${d.number_of_drifted_columns} of ${d.number_of_columns} columns drifted (share ${share} ${d.dataset_drift ? "≥" : "<"} ${d.drift_share})${weighed ? `, holding ${percentOf(importance.drifted_share)} of the model's importance` : ""}`;
  return d.schema_drift
    ? `schema drift: ${d.schema_drift_reason ?? "the columns differ"}; ${shares}`
    : shares;
}

function runLink(runUrl: string): string {
  return `[workflow run](${runUrl})`;
}

function finding(verdict: MonitoredModel): string {
  const found = [
    ...(verdict.drift.schema_drift ? ["Schema drift"] : []),
    ...(verdict.drift.dataset_drift ? ["Data drift"] : []),
    ...(verdict.performance?.decayed === true ? ["Performance decay"] : []),
  ];
  if (found.length === 0) return "Data drift";
  return found.map((f, i) => (i === 0 ? f : f.toLowerCase())).join(" and ");
}

function alertTexts(verdict: MonitoredModel, runUrl: string) {
  const report = fitToCommentLimit(verdict.markdown, {
    limit: ISSUE_TEXT_LIMIT,
    fullReportPointer: SUMMARY_POINTER,
  });
  const owners = verdict.owners ?? [];
  const cc = owners.length > 0 ? `\n\ncc ${owners.map(mention).join(" ")}` : "";
  return {
    title: `${finding(verdict)}: ${verdict.model}${verdict.version ? `@${verdict.version}` : ""}`,
    body: [
      `**gitml found ${finding(verdict).toLowerCase()}** in ${subject(verdict)}: ${shareSentence(verdict)}. ${runLink(runUrl)}${cc}`,
      "",
      "_This issue stays open while the drift lasts: each monitoring run adds one comment, and gitml closes it when the data recovers._",
      "",
      report,
    ].join("\n"),
    comment: [
      `**Drift persists** in ${subject(verdict)}: ${shareSentence(verdict)}. ${runLink(runUrl)}`,
      "",
      "<details><summary>Drift report</summary>",
      "",
      report,
      "</details>",
    ].join("\n"),
    recoveryComment: `✅ **Recovered**: ${subject(verdict)} no longer shows dataset or schema drift: ${shareSentence(verdict)}. Closing. ${runLink(runUrl)}`,
  };
}

/** One GitHub issue per model: opened on drift, a comment per run while it lasts, closed on recovery. */
export function issueAlertSink(options: Repository & { labels: string[] }): AlertSink {
  const { octokit, owner, repo, logger } = options;
  return {
    name: "alert issue",
    async update(verdict): Promise<AlertUpdate> {
      const issue = await upsertAlertIssue({
        octokit,
        owner,
        repo,
        model: verdict.model,
        alerting: verdict.alerting,
        ...alertTexts(verdict, options.runUrl),
        labels: options.labels,
        logger,
      });
      if (issue.action !== "none")
        logger.info(`${verdict.model}: alert issue ${issue.action} ${issue.url ?? ""}`);
      return {
        action: issue.action,
        ...(issue.issueNumber !== undefined ? { number: issue.issueNumber } : {}),
        ...(issue.url !== undefined ? { url: issue.url } : {}),
      };
    },
  };
}

export type RetrainDispatch =
  /** The workflow file (e.g. retrain.yml) run on `ref`. */
  | { kind: "workflow_dispatch"; workflow: string; ref?: string }
  /** A repository_dispatch event of this type. */
  | { kind: "repository_dispatch"; event: string };

/** Retraining asked of GitHub Actions while a model alerts: a workflow_dispatch or a repository_dispatch. */
export function dispatchRetrainTrigger(options: Repository & { dispatch: RetrainDispatch }): RetrainTrigger {
  const { octokit, logger, dispatch } = options;
  const where = { owner: options.owner, repo: options.repo };
  return {
    async trigger(verdict, alert): Promise<RetrainOutcome> {
      const version = verdict.version ?? "";
      if (dispatch.kind === "workflow_dispatch") {
        const { workflow, ref } = dispatch;
        if (!ref)
          throw new UserError("input 'ref': which branch should the retraining workflow run on? (e.g. main)");
        try {
          // workflow_dispatch refuses inputs the workflow does not declare: only the two that gitml's retrain
          // workflow (reusable-workflows/retrain.yml) and its callers declare.
          await octokit.rest.actions.createWorkflowDispatch({
            ...where,
            workflow_id: workflow,
            ref,
            inputs: {
              model: verdict.model,
              reason: `data drift on ${verdict.model}${version ? `@${version}` : ""}`,
            },
          });
        } catch (error) {
          rethrowPermission(error, `dispatch the workflow ${workflow} on ${ref}`, "actions: write");
        }
        logger.info(
          `${verdict.model}: dispatched ${workflow} on ${ref} to retrain (version ${version || "-"})`,
        );
        return { kind: "workflow_dispatch", target: workflow };
      }
      const drifted = verdict.drift.columns.filter((c) => c.drift).map((c) => c.name);
      try {
        await octokit.rest.repos.createDispatchEvent({
          ...where,
          event_type: dispatch.event,
          client_payload: {
            model: verdict.model,
            version,
            stage: verdict.stage,
            share_of_drifted_columns: verdict.drift.share_of_drifted_columns,
            drifted_columns: drifted.slice(0, 100),
            issue_url: alert.url ?? "",
            run_url: options.runUrl,
          },
        });
      } catch (error) {
        rethrowPermission(error, `send the repository_dispatch event ${dispatch.event}`, "contents: write");
      }
      logger.info(`${verdict.model}: sent repository_dispatch '${dispatch.event}' to retrain`);
      return { kind: "repository_dispatch", target: dispatch.event };
    },
  };
}
