import { describe, expect, it } from 'vitest';

import { recordingLogger } from '../../../test/support/library.js';
import type { Logger } from '../logger.js';
import { createMetrics } from '../metrics/metrics.js';
import { reportCall } from './call-report.js';

describe('reportCall', () => {
  it('counts the call and its items in the metrics, with its protocol (grpc when none is named)', async () => {
    const metrics = createMetrics({ service: 'test', side: 'grpc' });
    const logger = recordingLogger();
    reportCall(logger, metrics, '/product.ProductService/LikeProducts', 'OK', 0.002, { requestId: 'r1' }, { OK: 2, NOT_FOUND: 1 });
    reportCall(logger, metrics, '/product.ProductService/LikeProduct', 'NOT_FOUND', 0.001, { requestId: 'r2' }, undefined, 'grpc-web');
    const text = await metrics.render();
    expect(text).toContain('grpc_server_handled_total{grpc_service="product.ProductService",grpc_method="LikeProducts",grpc_code="OK",protocol="grpc",');
    expect(text).toContain('grpc_server_handled_total{grpc_service="product.ProductService",grpc_method="LikeProduct",grpc_code="NOT_FOUND",protocol="grpc-web",');
    expect(text).toMatch(/grpc_server_items_total\{grpc_service="product.ProductService",grpc_method="LikeProducts",grpc_code="OK",[^}]*\} 2\n/);
    expect(text).toMatch(/grpc_server_items_total\{grpc_service="product.ProductService",grpc_method="LikeProducts",grpc_code="NOT_FOUND",[^}]*\} 1\n/);
  });

  it('writes one call line: items for a batch call, protocol only when it is not gRPC, the caller\'s fields last', () => {
    const logger = recordingLogger();
    reportCall(logger, undefined, '/m/Batch', 'OK', 0.00234, { requestId: 'r1' }, { OK: 2 });
    reportCall(logger, undefined, '/m/One', 'UNAVAILABLE', 0.1, { requestId: 'r2' }, undefined, 'connect', { error: 'down' });
    expect(logger.lines).toEqual([
      'info [library] call {"method":"/m/Batch","code":"OK","duration_ms":2.3,"request_id":"r1","items":{"OK":2}}',
      'info [library] call {"method":"/m/One","code":"UNAVAILABLE","duration_ms":100,"request_id":"r2","protocol":"connect","error":"down"}',
    ]);
  });

  it('asks for the request id only when the line is written', () => {
    let asked = 0;
    const request = {
      get requestId() {
        asked += 1;
        return 'made on first use';
      },
    };
    const quiet: Logger = { ...recordingLogger(), enabled: (level) => level !== 'info' && level !== 'debug' };
    reportCall(quiet, undefined, '/m/One', 'OK', 0.001, request, undefined);
    expect(asked).toBe(0);
    reportCall(recordingLogger(), undefined, '/m/One', 'OK', 0.001, request, undefined);
    expect(asked).toBe(1);
  });
});
