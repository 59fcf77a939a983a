import { assertValidName } from "../registry";
import type { RegistryState } from "../registry/types";
import type { CommandContext } from "./context";
import { readState } from "./show";

export interface HistoryOptions {
  model?: string;
  fetch?: boolean;
}

export interface HistoryResult {
  state: RegistryState;
  model?: string;
}

/**
 * The registry's events (GTO's `history`), for one model or all; printing orders them newest first. A
 * model with no events answers an empty history, as GTO's does.
 */
export async function history(context: CommandContext, options: HistoryOptions = {}): Promise<HistoryResult> {
  if (options.model !== undefined) assertValidName(options.model, "model name", false);
  const state = await readState(context, options.fetch);
  return { state, model: options.model };
}
