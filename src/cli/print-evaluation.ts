import type { EvaluateResult } from "../commands/evaluate";
import { renderText } from "../report";
import { json, out } from "./print";

export function printEvaluation(result: EvaluateResult, asJson: boolean): void {
  if (asJson) {
    const { evaluation: _evaluation, markdown: _markdown, ...summary } = result;
    return json(summary);
  }
  out(renderText(result.evaluation));
  out(`report: ${result.report}\nhtml:   ${result.html}`);
}
