/** The paths the bench loads (load.ts runs them; `mgrpc bench --paths` picks among them). */
export const LOAD_KINDS = ['grpc-like', 'rest-like', 'rest-create'] as const;
export type LoadKind = (typeof LOAD_KINDS)[number];
