/// <reference types="node" />
import { createHash } from "node:crypto";
import { PAGE_SCRIPT } from "./page-script.js";
import { PAGE_STYLE } from "./page-style.js";

/** The page, and the Content-Security-Policy that goes with it. */
export interface RenderedPage {
  readonly html: string;
  readonly contentSecurityPolicy: string;
}

/**
 * Renders the page. Script and style are inlined and allowed by their SHA-256 hashes, so the
 * page needs no URL of its own for them: it works however it is mounted (with or without a
 * trailing slash) and nothing else can run or style it. The page holds no breaker data; its
 * script fetches that and renders names as text.
 */
export function renderPage(controls: boolean): RenderedPage {
  const tokenField = controls
    ? '<input id="token" type="password" placeholder="Control token" aria-label="Control token" autocomplete="off" spellcheck="false">'
    : "";
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>aiobreaker dashboard</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body data-controls="${controls ? "on" : "off"}">
<header class="top">
<h1>Circuit breakers</h1>
<span id="summary" class="summary"></span>
<span id="connection" class="connection" data-status="connecting">connecting…</span>
<span class="spacer"></span>
<input id="filter" type="search" placeholder="Filter by name" aria-label="Filter by name" autocomplete="off" spellcheck="false">
${tokenField}
</header>
<p id="notice" class="notice" role="status" aria-live="polite"></p>
<main id="cards" class="cards"></main>
<p id="empty" class="empty" hidden></p>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src '${hash(PAGE_SCRIPT)}'`,
    `style-src '${hash(PAGE_STYLE)}'`,
    "connect-src 'self'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html, contentSecurityPolicy };
}

function hash(source: string): string {
  return `sha256-${createHash("sha256").update(source, "utf8").digest("base64")}`;
}
