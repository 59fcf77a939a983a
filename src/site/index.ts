/** The static model catalog: catalog data in, HTML files out (pure; `commands/site.ts` gathers and writes). */
export type * from "./types";
export { catalogModel, catalogEvents, compareSemver, type ModelDetails } from "./catalog";
export { renderSite, modelPagePath, type SiteFile } from "./render";
export { renderMarkdown } from "./markdown";
export { catalogMonitoring } from "./monitoring";
export { embedJson, GENERATOR_META, slug } from "./html";
