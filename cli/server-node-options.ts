/**
 * V8 settings for the server processes mgrpc starts itself (`mgrpc up`, `mgrpc bench`; the
 * Docker image and compose file set the same through NODE_OPTIONS). Left alone, V8 lets a
 * busy server's heap grow to a few hundred MB before it collects, although what is live
 * stays near 30 MB; a bounded old space keeps RSS near the live set at no measurable cost
 * in throughput. A service that really holds more raises it with MGRPC_SERVER_NODE_OPTIONS.
 */
export const DEFAULT_SERVER_NODE_OPTIONS = '--max-old-space-size=96 --max-semi-space-size=8';

/** NODE_OPTIONS for a server child: the caller's own, then ours (set to '' to add none). */
export function serverNodeOptions(env: NodeJS.ProcessEnv): string {
  const ours = env.MGRPC_SERVER_NODE_OPTIONS ?? DEFAULT_SERVER_NODE_OPTIONS;
  return [env.NODE_OPTIONS, ours].filter((part) => part && part.trim() !== '').join(' ');
}
