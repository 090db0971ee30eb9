/**
 * The admin's only script: keeps the values on a list or detail page current without a
 * reload. Every second it asks the page's rows.json (the ids shown, nothing else) with the
 * last ETag; an unchanged page costs a 304 and no DOM work. A failed poll waits longer, up to
 * 30 s. Served from /admin/static, so the pages' CSP needs no inline script.
 */
export const LIVE_SCRIPT = `
(function () {
  var table = document.querySelector('[data-live]');
  if (!table) return;
  var url = table.getAttribute('data-live');
  var etag = null, delay = 1000;
  function apply(rows) {
    Object.keys(rows).forEach(function (id) {
      var row = document.querySelector('[data-row="' + CSS.escape(id) + '"]');
      if (!row) return;
      var values = rows[id];
      Object.keys(values).forEach(function (field) {
        var cell = row.querySelector('[data-field="' + CSS.escape(field) + '"]');
        if (!cell || cell.getAttribute('data-value') === values[field].value) return;
        cell.setAttribute('data-value', values[field].value);
        cell.textContent = values[field].text;
        if (values[field].badge !== undefined) {
          cell.textContent = '';
          var span = document.createElement('span');
          span.className = 'badge ' + values[field].badge;
          span.textContent = values[field].text;
          cell.appendChild(span);
        }
        cell.classList.remove('changed');
        void cell.offsetWidth;
        cell.classList.add('changed');
      });
    });
  }
  function poll() {
    var headers = etag ? { 'If-None-Match': etag } : {};
    fetch(url, { headers: headers, cache: 'no-store', credentials: 'same-origin' })
      .then(function (res) {
        if (res.status === 304) return null;
        if (!res.ok) throw new Error(String(res.status));
        etag = res.headers.get('ETag');
        return res.json();
      })
      .then(function (body) { if (body) apply(body.rows); delay = 1000; })
      .catch(function () { delay = Math.min(delay * 2, 30000); })
      .then(function () { setTimeout(poll, document.hidden ? Math.max(delay, 5000) : delay); });
  }
  setTimeout(poll, delay);
})();
`;
