/**
 * The browsable API's stylesheet and script, served as files (ASSET_PATH) so its pages need
 * no inline code under their CSP. The script sends the page's form as JSON with fetch and
 * shows the answer as text (textContent: nothing in an answer is ever parsed as HTML).
 */
import type { Router } from 'express';

import { Router as makeRouter } from '../express.js';
import { ASSET_PATH } from './html.js';

const CSS = `body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
header { background: #20364d; color: #fff; padding: .6em 1.2em; display: flex; gap: 1.2em; align-items: baseline; }
header a { color: #cfe3ff; }
header strong { font-size: 1.1em; }
main { max-width: 60em; margin: 1.2em auto; padding: 0 1.2em; }
h1 { font-size: 1.4em; margin: .2em 0 .6em; }
.request { font-family: ui-monospace, monospace; background: #e8edf3; padding: .4em .7em; border-radius: 4px; overflow-wrap: anywhere; }
.response, .result { background: #fff; border: 1px solid #d5dbe3; border-radius: 4px; padding: .8em 1em; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; font: 13px/1.5 ui-monospace, monospace; }
.headers { color: #56616d; }
.status-ok { color: #1a7f37; } .status-error { color: #b3261e; }
.pager a, .links a { margin-right: 1em; }
form { background: #fff; border: 1px solid #d5dbe3; border-radius: 4px; padding: .8em 1em; margin-top: 1.2em; display: grid; gap: .6em; }
textarea { width: 100%; box-sizing: border-box; min-height: 9em; font: 13px/1.5 ui-monospace, monospace; }
label { display: grid; gap: .2em; }
button { justify-self: start; padding: .35em 1.2em; }
`;

const JS = `'use strict';
document.addEventListener('DOMContentLoaded', function () {
  var form = document.getElementById('send');
  if (!form) return;
  var result = document.getElementById('result');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var method = form.elements.method.value;
    var headers = { accept: 'application/json' };
    var key = form.elements.key.value;
    if (key) headers['x-api-key'] = key;
    var init = { method: method, headers: headers };
    if (method !== 'DELETE') {
      headers['content-type'] = 'application/json';
      init.body = form.elements.body.value;
    }
    result.hidden = false;
    result.textContent = method + ' ' + form.dataset.url + ' ...';
    fetch(form.dataset.url, init).then(function (res) {
      return res.text().then(function (text) {
        var shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON: show it as it came */ }
        result.className = 'result ' + (res.ok ? 'status-ok' : 'status-error');
        result.textContent = 'HTTP ' + res.status + ' ' + res.statusText + '\\n\\n' + shown;
      });
    }, function (err) {
      result.className = 'result status-error';
      result.textContent = 'the request failed: ' + err.message;
    });
  });
});
`;

/** GET <ASSET_PATH>/browsable.css and browsable.js. */
export function browsableAssets(): Router {
  const router = makeRouter();
  router.get(`${ASSET_PATH}/browsable.css`, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('css').send(CSS);
  });
  router.get(`${ASSET_PATH}/browsable.js`, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('js').send(JS);
  });
  return router;
}
