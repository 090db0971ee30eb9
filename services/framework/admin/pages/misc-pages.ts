/** The small pages: the model index, login, the refusal without a key, and errors. */
import { html, type Html } from '../html.js';

export function indexPage(entries: { slug: string; label: string; description: string }[], outbox: boolean): Html {
  return html`<div class="grid">
${entries.map((e) => html`<div class="card"><h2><a href="/admin/${e.slug}">${e.label}</a></h2><div class="muted">${e.description}</div></div>`)}
${outbox ? html`<div class="card"><h2><a href="/admin/outbox">Outbox</a></h2><div class="muted">changes waiting to reach other services</div></div>` : ''}
</div>`;
}

export function loginPage(csrf: string, next: string, error?: string): Html {
  return html`<form method="post" action="/admin/login" class="card" novalidate>
  <input type="hidden" name="_csrf" value="${csrf}">
  <input type="hidden" name="next" value="${next}">
  <div class="field${error ? ' invalid' : ''}">
    <label for="field-key">API key</label>
    <input type="password" id="field-key" name="key" autocomplete="current-password" autofocus>
    ${error ? html`<div class="field-error" role="alert">${error}</div>` : ''}
    <div class="help">The value of MGRPC_API_KEY this service was started with.</div>
  </div>
  <div class="actions"><button type="submit">Log in</button></div>
</form>`;
}

export function noKeyPage(): Html {
  return html`<div class="error-box" role="alert">The admin is closed: this server listens on an address other machines can reach, and no API key is set.</div>
<div class="card">
<p>Set an API key and restart the service; the admin then asks for it once and keeps a session:</p>
<pre class="mono">MGRPC_API_KEY=$(openssl rand -hex 32) npx mgrpc runserver …</pre>
<p>Or listen on loopback only (127.0.0.1), where the admin is open without a key.</p>
</div>`;
}

export function foreignHostPage(): Html {
  return html`<div class="error-box" role="alert">The admin is closed to this address: without an API key it answers only requests addressed to localhost, 127.0.0.1 or [::1].</div>
<div class="card">
<p>Open it at <span class="mono">http://127.0.0.1:&lt;port&gt;/admin/</span>, or set an API key (MGRPC_API_KEY) to open it under any name.</p>
</div>`;
}

export function errorPage(status: number, message: string): Html {
  return html`<div class="error-box" role="alert">${message}</div>
<p class="muted">HTTP ${status}. <a href="/admin/">Back to the admin</a></p>`;
}
