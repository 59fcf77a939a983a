/** The names that tie a model's evaluation to its sticky comment and its saved report artifact. */

import { markerPart } from "../report/format";

export const REPORT_ARTIFACT_PREFIX = "gitml-report";

export function stickyMarker(model: string, discriminator: string): string {
  const tail = markerPart(discriminator);
  return `evaluate:${markerPart(model)}${tail ? `:${tail}` : ""}`;
}
