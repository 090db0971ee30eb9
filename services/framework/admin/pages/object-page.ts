/**
 * One object: a form for its writable fields (create or edit) with the read-only ones shown
 * as text, or, when the API does not let it be changed, all its fields as text. An error the
 * schema found is shown at its field; one about no field in particular, above the form.
 */
import type { FormField } from '../form.js';
import { html, type Html } from '../html.js';
import type { ColumnCell } from '../registry.js';
import { cellContent, labelOf, shownCell, shownValue } from './cells.js';

export interface ObjectView {
  slug: string;
  label: string;
  /** Absent on the create page. */
  lookup?: string;
  /** Every field's value (snake_case), shown read-only where not in `form`. */
  json: Record<string, unknown>;
  readOnlyFields: string[];
  /** The writable fields, when the page is a form. */
  form?: FormField[];
  /** What the form holds: the posted values after an error, else the object's. */
  values: Record<string, unknown>;
  extra: { name: string; label: string; cell?: ColumnCell }[];
  error?: { field?: string; message: string };
  canDelete: boolean;
  csrf: string;
  notice?: string;
}

function input(field: FormField, value: unknown, invalid: boolean): Html {
  const id = `field-${field.name}`;
  const described = invalid ? html` aria-invalid="true" aria-describedby="${id}-error"` : '';
  const text = value === null || value === undefined ? '' : String(value);
  if (field.kind === 'checkbox') return html`<input type="checkbox" id="${id}" name="${field.name}"${value === true || value === 'on' ? html` checked` : ''}${described}>`;
  // The line break after the tag is HTML's: a parser drops one there, so a value that starts
  // with a line break keeps it (without it, saving the form would strip it).
  if (field.kind === 'textarea') return html`<textarea id="${id}" name="${field.name}"${field.maxLength ? html` maxlength="${field.maxLength}"` : ''}${described}>\n${text}</textarea>`;
  // No `required` / `maxlength` enforced by the browser on text inputs: the server's schema
  // decides, so the message is the API's own and a test sees it (maxlength only hints).
  const mode = field.kind === 'number' ? html` inputmode="decimal"` : '';
  return html`<input type="text" id="${id}" name="${field.name}" value="${text}"${mode}${described}>`;
}

function readOnlyRow(name: string, value: unknown): Html {
  return html`<div class="field readonly"><label>${labelOf(name)}</label><div class="readonly-value" data-field="${name}" data-value="${shownValue(value).value}">${cellContent(shownValue(value))}</div></div>`;
}

function extraRow(c: ObjectView['extra'][number]): Html {
  const shown = shownCell(c.cell);
  return html`<div class="field readonly"><label>${c.label}</label><div class="readonly-value" data-field="${c.name}" data-value="${shown.value}">${cellContent(shown)}</div></div>`;
}

export function objectPage(view: ObjectView): Html {
  const errorAt = (name: string) => (view.error?.field === name ? view.error.message : undefined);
  const formFields = new Set(view.form?.map((f) => f.name) ?? []);
  const general = view.error && !(view.error.field && formFields.has(view.error.field)) ? view.error.message : undefined;
  const action = view.lookup === undefined ? `/admin/${view.slug}/new` : `/admin/${view.slug}/${encodeURIComponent(view.lookup)}`;
  const live = view.lookup !== undefined ? `/admin/${view.slug}/rows.json?${new URLSearchParams({ ids: view.lookup })}` : undefined;
  const readOnly = view.readOnlyFields.filter((name) => !formFields.has(name) && (view.lookup !== undefined || view.json[name] !== undefined));
  return html`
${view.notice ? html`<div class="notice" role="status">${view.notice}</div>` : ''}
${general ? html`<div class="error-box" role="alert">${general}</div>` : ''}
<div class="card"${live ? html` data-live="${live}"` : ''}>
<div data-row="${view.lookup ?? ''}">
${view.form
  ? html`<form method="post" action="${action}" novalidate>
  <input type="hidden" name="_csrf" value="${view.csrf}">
  ${view.form.map((field) => {
    const problem = errorAt(field.name);
    return html`<div class="field${problem ? ' invalid' : ''}" data-input="${field.name}">
    <label for="field-${field.name}">${labelOf(field.name)}${field.required ? '' : html` <span class="muted">(optional)</span>`}</label>
    ${input(field, view.values[field.name], problem !== undefined)}
    ${problem ? html`<div class="field-error" id="field-${field.name}-error" role="alert">${problem}</div>` : ''}
    ${field.maxLength ? html`<div class="help">at most ${field.maxLength} characters</div>` : ''}
  </div>`;
  })}
  ${readOnly.map((name) => readOnlyRow(name, view.json[name]))}
  ${view.extra.map((c) => extraRow(c))}
  <div class="actions"><button type="submit">${view.lookup === undefined ? `Create ${view.label}` : 'Save'}</button><a class="button secondary" href="/admin/${view.slug}">Back to the list</a></div>
</form>`
  : html`${readOnly.map((name) => readOnlyRow(name, view.json[name]))}
  ${view.extra.map((c) => extraRow(c))}
  <p class="muted">Read-only: this service's API does not change ${view.label} objects.</p>
  <div class="actions"><a class="button secondary" href="/admin/${view.slug}">Back to the list</a></div>`}
</div>
</div>
${view.canDelete && view.lookup !== undefined
  ? html`<form method="post" action="/admin/${view.slug}/${encodeURIComponent(view.lookup)}/delete" class="card">
  <input type="hidden" name="_csrf" value="${view.csrf}">
  <p>Deleting this ${view.label} cannot be undone.</p>
  <button type="submit" class="danger">Delete ${view.label}</button>
</form>`
  : ''}`;
}
