/**
 * The whole `mgrpc ui` screen, always the same height: header, the four servers, the
 * product table, a two-line panel (the selected product, or the open form), the status
 * line and the keys. Keeping the height fixed and below the terminal's lets ink redraw
 * in place instead of clearing the screen, which is what makes a terminal app flicker.
 */
import { Box, Text } from 'ink';

import type { ServiceUrls } from '../../client/api.js';
import { printable } from '../../client/format.js';
import { isUuid } from '../../client/options.js';
import { TextPrompt } from '../text-prompt.js';
import { ConfirmPrompt } from './confirm-prompt.js';
import { KeyFooter } from './key-footer.js';
import { LikePrompt } from './like-prompt.js';
import { ProductTable } from './product-table.js';
import { ServerStatus } from './server-status.js';
import { StatusBar } from './status-bar.js';
import type { ConsoleState, Mode } from './use-console.js';
import type { SystemSnapshot } from './system-snapshot.js';

/** Lines of the screen besides the table rows. */
export const CHROME_LINES = 8;

export interface ConsoleScreenProps {
  urls: ServiceUrls;
  snapshot: SystemSnapshot;
  mode: Mode;
  status: ConsoleState['status'];
  answer: ConsoleState['answer'];
  selected: number;
  top: number;
  tableHeight: number;
  width: number;
}

const BROWSE_KEYS = [
  ['↑/↓', 'select'],
  ['c', 'create'],
  ['e', 'edit'],
  ['d', 'delete'],
  ['l', 'like'],
  ['r', 'refresh'],
  ['q', 'quit'],
] as const;
const FORM_KEYS = [
  ['enter', 'confirm'],
  ['esc', 'cancel'],
] as const;

const notBlank = (value: string) => (value.trim() === '' ? 'the title must not be empty' : undefined);
const userIdProblem = (value: string) => (isUuid(value) ? undefined : 'that is not a user id: ids are UUIDs (`mgrpc user create` makes one)');

function Panel({ mode, answer, snapshot, selected }: Pick<ConsoleScreenProps, 'mode' | 'answer' | 'snapshot' | 'selected'>) {
  switch (mode.kind) {
    case 'create-title':
      return <TextPrompt key="create-title" label="New product · title" validate={notBlank} onSubmit={answer.createTitle} onCancel={answer.cancel} />;
    case 'create-image':
      return <TextPrompt key="create-image" label="New product · image URL (blank for none)" onSubmit={answer.createImage} onCancel={answer.cancel} />;
    case 'edit-title':
      return <TextPrompt key="edit-title" label="Edit · title" initial={mode.target.title} validate={notBlank} onSubmit={answer.editTitle} onCancel={answer.cancel} />;
    case 'edit-image':
      return <TextPrompt key="edit-image" label="Edit · image URL (blank for none)" initial={mode.target.image ?? ''} onSubmit={answer.editImage} onCancel={answer.cancel} />;
    case 'delete':
      return <ConfirmPrompt question={`Delete '${printable(mode.target.title)}'?`} onAnswer={answer.confirmDelete} />;
    case 'like':
      return <LikePrompt title={printable(mode.target.title)} validate={userIdProblem} onSubmit={answer.like} onCancel={answer.cancel} />;
    case 'browse': {
      const row = snapshot.products?.[selected];
      if (!row) return <Text> </Text>;
      return (
        <Box flexDirection="column">
          <Text wrap="truncate">
            <Text dimColor>id </Text>
            {row.id}
          </Text>
          <Text wrap="truncate">
            <Text dimColor>image </Text>
            {row.image ? printable(row.image) : '-'}
          </Text>
        </Box>
      );
    }
  }
}

export function ConsoleScreen({ urls, snapshot, mode, status, answer, selected, top, tableHeight, width }: ConsoleScreenProps) {
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold color="cyan">
          mgrpc ui
        </Text>
        <Text dimColor>
          {'  '}dashboard {urls.dashboard} · product {urls.product}
        </Text>
      </Text>
      <ServerStatus servers={snapshot.servers} />
      <ProductTable rows={snapshot.products} selected={selected} top={top} height={tableHeight} width={width} error={snapshot.productsError} stream={snapshot.stream} />
      <Box flexDirection="column" height={2} overflow="hidden">
        <Panel mode={mode} answer={answer} snapshot={snapshot} selected={selected} />
      </Box>
      <StatusBar status={status} />
      <KeyFooter keys={mode.kind === 'browse' ? BROWSE_KEYS : FORM_KEYS} />
    </Box>
  );
}
