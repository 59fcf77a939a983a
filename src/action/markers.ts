/** The names that tie a model's evaluation to its sticky comment and its saved report artifact. */

export const REPORT_ARTIFACT_PREFIX = "gitml-report";

/** Marker alphabet of the sticky comment, and no "--" (which would close the HTML comment). */
function markerPart(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._:/@+-]/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "");
}

export function stickyMarker(model: string, discriminator: string): string {
  const tail = markerPart(discriminator);
  return `evaluate:${markerPart(model)}${tail ? `:${tail}` : ""}`;
}
