/** The outbox page and its retry: the admin's view of what `mgrpc outbox` shows. */
import type { Router } from 'express';

import type { Outbox } from '../outbox/outbox.js';
import { outboxPage } from './pages/outbox-page.js';
import type { PageKit } from './resource-pages.js';

const SHOWN = 50;

export function outboxPages(router: Router, kit: PageKit, outbox: Outbox): void {
  router.get('/outbox', async (req, res) => {
    const [topics, entries] = await Promise.all([outbox.stats(), outbox.entries(SHOWN)]);
    const retried = typeof req.query.retried === 'string' && /^\d{1,9}$/.test(req.query.retried) ? Number(req.query.retried) : undefined;
    const notice = retried === undefined ? undefined : `${retried} failed ${retried === 1 ? 'entry' : 'entries'} queued again.`;
    kit.send(res, 200, kit.frame(req, res, 'outbox'), 'Outbox', outboxPage({ topics, entries, now: Date.now(), csrf: kit.csrf(req, res), notice, limit: SHOWN }));
  });

  // Failed entries were refused by their receiver; once the cause is fixed they may go again.
  router.post('/outbox/retry', async (_req, res) => {
    const requeued = await outbox.store.requeueFailed(Date.now());
    outbox.kick();
    res.redirect(303, `/admin/outbox?retried=${requeued}`);
  });
}
