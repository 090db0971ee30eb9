/**
 * The ink forms behind the interactive paths. This module loads ink and React: import it
 * lazily (`await import('../client/prompts.js')`) and only once `isInteractive()` is true.
 * Each form leaves one `✔ label: answer` line behind and resolves once ink has released
 * the terminal, so the command's own output follows cleanly.
 */
import { render } from 'ink';
import { createElement, type ReactElement } from 'react';

import { Answered } from '../ui/answered.js';
import { ProductPicker, type PickerItem } from '../ui/product-picker.js';
import { TextPrompt } from '../ui/text-prompt.js';
import { PromptCancelled } from './ask.js';
import { printable } from './format.js';

type Form = (done: { submit: (value: string) => void; cancel: () => void }) => ReactElement;

/** `answer` is what stays on screen afterwards: `✔ <answer.label>: <answer.show(value)>`. */
async function runForm(answer: { label: string; show?: (value: string) => string }, form: Form): Promise<string> {
  let outcome: { value: string } | undefined;
  let finished = false;
  const app = render(
    form({
      submit(value) {
        if (finished) return;
        finished = true;
        outcome = { value };
        app.rerender(createElement(Answered, { label: answer.label, value: answer.show?.(value) ?? value }));
        app.unmount();
      },
      cancel() {
        if (finished) return;
        finished = true;
        app.unmount();
      },
    }),
    { exitOnCtrlC: false, patchConsole: false },
  );
  await app.waitUntilExit();
  if (!outcome) throw new PromptCancelled();
  return outcome.value;
}

export interface AskTextOptions {
  label: string;
  placeholder?: string;
  validate?: (value: string) => string | undefined;
}

/** Asks one question in the terminal; rejects with PromptCancelled on Esc/Ctrl+C. */
export function askText({ label, placeholder, validate }: AskTextOptions): Promise<string> {
  return runForm({ label }, ({ submit, cancel }) => createElement(TextPrompt, { label, placeholder, validate, onSubmit: submit, onCancel: cancel }));
}

/** Lets the user choose one of `items` (or type an id); resolves with the id. */
export function pickProduct(label: string, items: readonly PickerItem[], validate?: (typed: string) => string | undefined): Promise<string> {
  const safe = items.map((item) => ({ ...item, title: printable(item.title) }));
  const show = (id: string) => {
    const item = safe.find((p) => p.id === id);
    return item ? `'${item.title}' (${id})` : id;
  };
  return runForm({ label: 'product', show }, ({ submit, cancel }) =>
    createElement(ProductPicker, { label, items: safe, validate, onSubmit: submit, onCancel: cancel }),
  );
}
