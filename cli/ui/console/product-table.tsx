/**
 * The products as a fixed-height table: always `height` rows (blank ones pad it), so the
 * screen never grows or shrinks as products come and go, and a line under it saying which
 * part of a longer list is shown.
 */
import { Box, Text } from 'ink';

import { printable } from '../../client/format.js';
import type { ProductRow, StreamStatus, SyncState } from './system-snapshot.js';

export interface ProductTableProps {
  /** Undefined while the first list is still loading. */
  rows: readonly ProductRow[] | undefined;
  /** Index of the highlighted row in `rows`. */
  selected: number;
  /** Index of the first row shown. */
  top: number;
  height: number;
  /** Terminal columns: the title column takes what the others leave. */
  width: number;
  /** Why the list could not be refreshed (the rows shown are the last ones read). */
  error?: string;
  /** The changes stream the rows follow; undefined when the console polls only. */
  stream?: StreamStatus;
}

/** After the position: whether the rows are live, and if the stream is down, why and when it is tried again. */
function streamNote(stream: StreamStatus | undefined): string {
  if (!stream) return '';
  if (stream.state === 'live') return stream.resynced ? ' · live (resynced)' : ' · live';
  if (stream.state === 'connecting') return ' · connecting to the changes stream…';
  return ` · stream down, retrying in ${Math.ceil(stream.retryMs / 1000)} s (${stream.reason})`;
}

const LIKES = 5;
const STATE = 7;
const ID = 8;
const FIXED = 2 + 2 + LIKES + 2 + STATE + 2 + ID + 1;

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

const SYNC_COLOR: Record<SyncState, string | undefined> = { synced: 'green', pending: 'yellow', unknown: undefined };

export function ProductTable({ rows, selected, top, height, width, error, stream }: ProductTableProps) {
  const titleWidth = Math.max(10, width - FIXED);
  const shown = rows?.slice(top, top + height) ?? [];
  const count = rows?.length ?? 0;
  // The dashboard stopped answering after a good read: the rows shown are the last ones read.
  const stale = rows !== undefined && error !== undefined;
  const note = streamNote(stream);
  let position: string;
  if (rows === undefined) position = error ? `cannot list products: ${error}` : 'loading products…';
  else if (count === 0) position = 'no products yet: press c to create one';
  else position = `${top + 1}–${top + shown.length} of ${count}${top > 0 ? ` · ↑ ${top} more` : ''}${top + height < count ? ` · ↓ ${count - top - height} more` : ''}`;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {'  '}
        {fit('title', titleWidth)}  {'likes'.padStart(LIKES)}  {fit('state', STATE)}  {'id'}
      </Text>
      <Box flexDirection="column" height={height} overflow="hidden">
        {shown.map((row, i) => {
          const isSelected = top + i === selected;
          return (
            <Text key={row.id} wrap="truncate" color={isSelected ? 'cyan' : undefined}>
              {isSelected ? '❯ ' : '  '}
              {fit(printable(row.title), titleWidth)}  {String(row.likes).padStart(LIKES)}  <Text color={SYNC_COLOR[row.sync]}>{fit(row.sync, STATE)}</Text>
              {'  '}
              <Text dimColor>{row.id.slice(0, ID)}</Text>
            </Text>
          );
        })}
      </Box>
      {stale ? (
        <Text color="red" wrap="truncate">
          {position} · not refreshed: {printable(error)}
          {printable(note)}
        </Text>
      ) : (
        <Text dimColor={stream?.state !== 'down'} color={stream?.state === 'down' ? 'yellow' : undefined} wrap="truncate">
          {printable(position + note)}
        </Text>
      )}
    </Box>
  );
}
