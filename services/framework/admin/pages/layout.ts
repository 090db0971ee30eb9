/**
 * The frame of every admin page: title, navigation (one link per resource), logout, stylesheet.
 * The empty icon (`data:,`) keeps browsers from asking for /favicon.ico, a 404, on every page.
 */
import { html, type Html } from '../html.js';

export interface PageFrame {
  service: string;
  /** Resource slugs for the navigation, and which one is shown. */
  nav: { slug: string; label: string }[];
  current?: string;
  /** Set when the admin needs a key: the logout form's CSRF token. */
  logout?: { csrf: string };
  assetVersion: string;
}

export function layout(frame: PageFrame, title: string, body: Html, options: { script?: boolean } = {}): Html {
  const link = (slug: string, label: string) => html`<a href="/admin/${slug}"${frame.current === slug ? html` class="current"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${frame.service} admin</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/static/admin.css?v=${frame.assetVersion}">
${options.script ? html`<script src="/admin/static/admin.js?v=${frame.assetVersion}" defer></script>` : ''}
</head>
<body>
<header class="top">
  <a class="brand" href="/admin/">${frame.service} admin</a>
  <nav>${frame.nav.map((n) => link(n.slug, n.label))}</nav>
  ${frame.logout ? html`<form method="post" action="/admin/logout"><input type="hidden" name="_csrf" value="${frame.logout.csrf}"><button type="submit">Log out</button></form>` : ''}
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** A page with no navigation (login, refusals): nothing about the service is shown before access. */
export function barePage(title: string, body: Html, assetVersion: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · mgrpc admin</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/static/admin.css?v=${assetVersion}">
</head>
<body>
<header class="top"><span class="brand">mgrpc admin</span></header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}
