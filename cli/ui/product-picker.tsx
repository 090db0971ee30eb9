/**
 * Pick a product with ↑/↓ and Enter, or type its id (a typed id wins over the highlighted
 * row). Long lists scroll: at most `visibleRows` rows show at a time.
 */
import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';

import { LineField } from './line-field.js';
import { useLineInput } from './use-line-input.js';

export interface PickerItem {
  id: string;
  title: string;
  /** Shown when known (the dashboard's list has it). */
  likes?: number;
}

export interface ProductPickerProps {
  /** The question, e.g. "Which product to like?". */
  label: string;
  items: readonly PickerItem[];
  visibleRows?: number;
  /** A problem with a typed id to show, or undefined when it is acceptable. */
  validate?: (typed: string) => string | undefined;
  onSubmit: (id: string) => void;
  onCancel: () => void;
}

const TITLE_WIDTH = 40;

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** The first row to show so that `cursor` stays visible, roughly centred. */
export function windowStart(count: number, cursor: number, rows: number): number {
  return Math.max(0, Math.min(cursor - Math.floor(rows / 2), count - rows));
}

export function ProductPicker({ label, items, visibleRows = 10, validate, onSubmit, onCancel }: ProductPickerProps) {
  const [cursor, setCursor] = useState(0);
  const [problem, setProblem] = useState<string>();
  const line = useLineInput('', { onEnter: () => submit(), onEdit: () => setProblem(undefined) });
  // As the typed text (useLineInput): Enter may arrive before the re-render with the last arrow key.
  const latestCursor = useRef(0);

  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) onCancel();
    else if (items.length > 0 && (key.upArrow || key.downArrow)) {
      latestCursor.current = (latestCursor.current + (key.upArrow ? -1 : 1) + items.length) % items.length;
      setCursor(latestCursor.current);
      setProblem(undefined);
    }
  });

  const submit = () => {
    const id = line.latest.current.trim();
    if (id === '') {
      const chosen = items[latestCursor.current];
      if (chosen) onSubmit(chosen.id);
      else setProblem('type the id of a product');
      return;
    }
    const found = validate?.(id);
    if (found) setProblem(found);
    else onSubmit(id);
  };

  const start = windowStart(items.length, cursor, visibleRows);
  const shown = items.slice(start, start + visibleRows);
  const width = Math.min(TITLE_WIDTH, Math.max(5, ...items.map((p) => p.title.length)));
  const choosing = line.value.trim() === '';

  return (
    <Box flexDirection="column">
      <Box>
        <Text color="cyan">? </Text>
        <Text bold>{label}</Text>
      </Box>
      {items.length === 0 && <Text dimColor> (there are no products on the dashboard yet)</Text>}
      {start > 0 && <Text dimColor>  ↑ {start} more</Text>}
      {shown.map((item, i) => {
        const selected = choosing && start + i === cursor;
        return (
          <Text key={item.id} color={selected ? 'cyan' : undefined}>
            {selected ? '❯ ' : '  '}
            {fit(item.title, width)}
            {item.likes === undefined ? '' : `  ${String(item.likes).padStart(3)} ♥`}
            <Text dimColor>  {item.id}</Text>
          </Text>
        );
      })}
      {start + visibleRows < items.length && <Text dimColor>  ↓ {items.length - start - visibleRows} more</Text>}
      <Box>
        <Text>{items.length > 0 ? '  or type an id: ' : '  id: '}</Text>
        <LineField line={line} />
      </Box>
      {problem ? <Text color="red">{problem}</Text> : <Text dimColor>↑/↓ to choose · enter to confirm · esc to cancel</Text>}
    </Box>
  );
}
