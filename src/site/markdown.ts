/**
 * A model card (markdown, from the store: written by gitml but readable by anyone who could upload a
 * release asset) as HTML that cannot carry markup of its own: every character of the card is escaped,
 * and only this subset becomes elements — headings, paragraphs, lists, tables, block quotes, fenced
 * code, `code`, **bold** and http(s) links. Raw HTML in the card is shown as text; a link to any other
 * scheme (javascript:, data:) is shown as its text alone.
 */
import { escapeHtml, showInvisible } from "../report/format";
import { link } from "./html";

const text = (value: string): string => escapeHtml(showInvisible(value));

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Character references (`&#124;`, `&#x7c;`, `&amp;`) as the characters they stand for. */
function decodeEntities(value: string): string {
  return value.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{2,6}));/gi, (whole, dec, hex, name) => {
    if (name) return NAMED[name.toLowerCase()] ?? whole;
    const code = dec ? Number(dec) : parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
      ? String.fromCodePoint(code)
      : "\ufffd";
  });
}

const INLINE =
  /`([^`]+)`|\*\*(.+?)\*\*|\[((?:[^\][]|\[[^\]]*\])+)\]\(([^()\s]+)\)|\\([\\`*_{}[\]()#+\-.!|<>~])/g;

/** One line's inline markup; everything else is text. */
export function renderInline(source: string): string {
  let out = "";
  let last = 0;
  for (const match of source.matchAll(INLINE)) {
    out += text(decodeEntities(source.slice(last, match.index)));
    last = match.index + match[0].length;
    const [, code, bold, linkText, url, escaped] = match;
    if (code !== undefined) out += `<code>${text(code)}</code>`;
    else if (bold !== undefined) out += `<strong>${renderInline(bold)}</strong>`;
    else if (linkText !== undefined) out += link(decodeEntities(url!), renderInline(linkText));
    else out += text(escaped!);
  }
  return out + text(decodeEntities(source.slice(last)));
}

const TABLE_SEPARATOR = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

/** Cells of a `| a | b |` row; `\|` does not split. */
function cells(row: string): string[] {
  const trimmed = row
    .trim()
    .replace(/^\|/, "")
    .replace(/(?<!\\)\|$/, "");
  return trimmed.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

export function renderMarkdown(markdown: string): string {
  const lines = String(markdown).replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) out.push(`<p>${paragraph.map(renderInline).join("<br>")}</p>`);
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trimStart().startsWith(fence[1]!)) body.push(lines[i++]!);
      out.push(`<pre tabindex="0"><code>${text(body.join("\n"))}</code></pre>`);
      continue;
    }
    if (line.trim() === "") {
      flush();
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      // The card sits under the page's own h2: its headings start at h3.
      const level = Math.min(6, heading[1]!.length + 2);
      out.push(`<h${level}>${renderInline(heading[2]!)}</h${level}>`);
      continue;
    }
    if (/^\s*\|/.test(line) && i + 1 < lines.length && TABLE_SEPARATOR.test(lines[i + 1]!)) {
      flush();
      const head = cells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && /^\s*\|/.test(lines[i]!)) rows.push(cells(lines[i++]!));
      i--;
      out.push(
        `<div class="scroll" tabindex="0"><table><thead><tr>${head.map((c) => `<th>${renderInline(c)}</th>`).join("")}</tr></thead><tbody>` +
          rows.map((row) => `<tr>${row.map((c) => `<td>${renderInline(c)}</td>`).join("")}</tr>`).join("") +
          "</tbody></table></div>",
      );
      continue;
    }
    const bullet = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
    if (bullet) {
      flush();
      const ordered = /\d/.test(bullet[1]!);
      const items: string[] = [];
      while (i < lines.length) {
        const item = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(lines[i]!);
        if (!item || /\d/.test(item[1]!) !== ordered) break;
        items.push(`<li>${renderInline(item[2]!)}</li>`);
        i++;
      }
      i--;
      out.push(`<${ordered ? "ol" : "ul"}>${items.join("")}</${ordered ? "ol" : "ul"}>`);
      continue;
    }
    if (/^\s*>/.test(line)) {
      flush();
      const quoted: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i]!)) quoted.push(lines[i++]!.replace(/^\s*>\s?/, ""));
      i--;
      const rendered = quoted
        .filter((q) => q.trim() !== "")
        .map((q) => {
          const callout = /^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]$/i.exec(q.trim());
          return callout ? `<strong>${text(callout[1]!.toLowerCase())}</strong>` : renderInline(q);
        });
      out.push(`<blockquote><p>${rendered.join("<br>")}</p></blockquote>`);
      continue;
    }
    paragraph.push(line.trim());
  }
  flush();
  return out.join("\n");
}
