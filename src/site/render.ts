/**
 * The whole site from the catalog: `index.html` and one page per model under `models/`. Pure: data in,
 * files (path relative to the site's root → HTML) out; the command writes them.
 */
import { slug } from "./html";
import { renderIndex, type IndexEntry } from "./index-page";
import { renderModelPage } from "./model-page";
import type { Catalog, CatalogModel, CatalogRepo } from "./types";

export interface SiteFile {
  /** Relative to the site's root, `/`-separated. */
  path: string;
  content: string;
}

/**
 * A model page's path: `models/<model>.html` for one repository, `models/<repo>.<model>.html` for an
 * organisation's catalog. Slugs keep letters, digits and `-` and write every other character as `_xx`,
 * so two names never share a file and no name can leave the folder.
 */
export function modelPagePath(catalog: Catalog, repo: CatalogRepo, model: CatalogModel): string {
  const name = slug(model.name);
  return catalog.repos.length > 1 ? `models/${slug(repo.id)}.${name}.html` : `models/${name}.html`;
}

export function renderSite(catalog: Catalog): SiteFile[] {
  const entries: IndexEntry[] = [];
  for (const repo of catalog.repos) {
    const models = [...repo.models].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const model of models) entries.push({ repo, model, href: modelPagePath(catalog, repo, model) });
  }
  const files: SiteFile[] = [{ path: "index.html", content: renderIndex(catalog, entries) }];
  for (const entry of entries) {
    files.push({
      path: entry.href,
      content: renderModelPage({ catalog, repo: entry.repo, model: entry.model, root: "../" }),
    });
  }
  return files;
}
