/**
 * Preloaded into every server process `mgrpc up`, `runserver --dev` and the bench start
 * (`node --import …/orphan-guard.js`): the child's stdin is a pipe whose other end only the
 * supervisor holds, so end-of-file means the supervisor is gone, even SIGKILLed, when it had
 * no chance to stop anyone. The child then stops itself the way Ctrl-C would, instead of
 * living on as an orphan holding its port.
 */
const GRACE_MS = 5000;

function supervisorGone(): void {
  // runserver/grpcrunserver listen for SIGTERM while serving and close cleanly on it.
  if (process.listenerCount('SIGTERM') > 0) {
    process.kill(process.pid, 'SIGTERM');
    return;
  }
  // No listener: still starting (it must not begin serving) or already closing (let it finish).
  setTimeout(() => process.exit(1), GRACE_MS).unref();
}

// Only under a supervisor: run by hand, stdin is a terminal or /dev/null and nothing is armed.
if (process.env.MGRPC_SUPERVISED === '1' && !process.stdin.isTTY) {
  process.stdin.on('data', () => undefined);
  process.stdin.once('end', supervisorGone);
  process.stdin.once('error', supervisorGone);
  // Reading stdin must not keep a finished process alive.
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}
