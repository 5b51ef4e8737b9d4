/**
 * The HTML every Shiftex page shares: zh-CN document, the top bar (brand, navigation, what a page adds there,
 * the language switch), the main area with its status and error lines, and the no-script notice. Each page
 * family (trading, console, contracts, agencies, public data) passes its style sheets, scripts and links;
 * the texts come from the family's script dictionary (the markup carries `data-t` keys, not words).
 */

export interface NavLink {
  readonly href: string;
  /** The dictionary key of the link's text. */
  readonly key: string;
  readonly current: boolean;
  /** Extra attributes, written as given (e.g. ` data-nav="site"`). */
  readonly attrs?: string;
}

export interface PageShell {
  /** `data-page` of the body: the family's script picks the page by it. */
  readonly page: string;
  readonly styles: readonly string[];
  /** Deferred scripts, in order. */
  readonly scripts: readonly string[];
  readonly nav: readonly NavLink[];
  /** Markup after the brand's name, inside the brand (e.g. the console's label). */
  readonly brand?: string;
  /** Markup after the navigation (who is signed in, sign-out). */
  readonly bar?: string;
  readonly bodyClass?: string;
  /** Attributes of <main> besides its id (e.g. ` hidden` until the script has filled it in). */
  readonly mainAttrs?: string;
  /** Whether the page has a status line (#note) above the error line. */
  readonly note?: boolean;
}

export function pageShell(s: PageShell, main: string): string {
  const nav = s.nav.length === 0 ? "" : `
    <nav aria-label="Shiftex">${s.nav.map((n) => `<a href="${n.href}" data-t="${n.key}"${n.attrs ?? ""}${n.current ? ' aria-current="page"' : ""}></a>`).join("")}</nav>`;
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shiftex</title>
${s.styles.map((href) => `<link rel="stylesheet" href="${href}">`).join("\n")}
${s.scripts.map((src) => `<script src="${src}" defer></script>`).join("\n")}
</head>
<body data-page="${s.page}"${s.bodyClass ? ` class="${s.bodyClass}"` : ""}>
<header class="top"><div class="bar">
    <span class="brand">Shiftex${s.brand ?? ""}</span>${nav}${s.bar ?? ""}
    <button id="lang" type="button" class="link" lang="en">English</button>
</div></header>
<main id="app"${s.mainAttrs ?? ""}>
${main}
${s.note ? `  <div id="note" class="note" role="status" hidden></div>\n` : ""}  <div id="error" class="error" role="alert" hidden></div>
</main>
<noscript>Shiftex 需要启用 JavaScript。Shiftex needs JavaScript.</noscript>
</body>
</html>`;
}

/** The bar's "who is signed in" slot, which the page's script fills in. */
export const WHO = `
    <span class="who" id="who"></span>`;

/** The bar of a page that signs in with an API key: who, and sign-out. */
export const SIGNED_IN_BAR = `${WHO}
    <button id="signout" type="button" class="link" data-t="signOut"></button>`;
