/**
 * Apart from context.ts on purpose: the read-only verbs (show, history, check-ref) need a Git but not
 * gitml.yaml, and importing context.ts would load the config schema (zod, yaml) on the registry read path.
 */
import { GitCli, type Git } from "../git/git";
import type { CommandContext } from "./context";

/**
 * The command's git. A context copied with another `cwd` (`{ ...context, cwd }`) would carry a Git of the
 * old folder, so a Git is used only for the folder it was made for.
 */
export function gitOf(context: CommandContext): Git {
  return context.git?.cwd === context.cwd ? context.git : new GitCli(context.cwd);
}
