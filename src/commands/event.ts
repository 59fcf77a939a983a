import { publishTags, type PlannedTag } from "../git/registry-sync";
import type { RegistryState } from "../registry/types";
import { openProject, type CommandContext, type Project } from "./context";

export interface EventResult {
  tag: string;
  commit: string;
  pushed: boolean;
}

/**
 * The shape shared by the verbs that write one tag (unassign, deregister, deprecate): open the project,
 * plan the tag from the freshest registry state, publish it race-safely.
 */
export async function publishOneTag(
  context: CommandContext,
  plan: (state: RegistryState, project: Project) => PlannedTag,
): Promise<EventResult> {
  const project = await openProject(context);
  let planned: PlannedTag | undefined;
  await publishTags(project.repo, {
    plan: (state) => {
      planned = plan(state, project);
      return [planned];
    },
  });
  return { tag: planned!.tag, commit: planned!.commit, pushed: project.repo.remote !== undefined };
}
