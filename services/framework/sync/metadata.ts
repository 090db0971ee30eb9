/**
 * The gRPC metadata a relayed call carries. The message itself stays exactly what the
 * proto says, so receivers that know nothing of mgrpc (the tutorial's) still understand
 * it; a receiver written on mgrpc uses these to apply each change once and in order.
 */
export const IDEMPOTENCY_KEY = 'mgrpc-idempotency-key';
/** The sender's outbox sequence: increases with every change the sender commits. */
export const SEQUENCE = 'mgrpc-sequence';
/** Which sender database the sequence belongs to. */
export const ORIGIN = 'mgrpc-origin';
