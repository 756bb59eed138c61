// Request-log entries as bcss serve records them, for tests of code that reads the log.
import type { RequestLogEntry } from '../../src/server/start-server.js';

export const ITEM = '5bbdeed1e629140048d01bcb';
export const region = (status = 200, extra: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  service: 'girder',
  method: 'GET',
  path: `/api/v1/item/${ITEM}/tiles/region?left=1&encoding=PNG`,
  status,
  bytes: 100,
  ms: 1,
  ...extra,
});
export const blob = (id: number, extra: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  service: 'figshare',
  method: 'GET',
  path: `/figshare/blob/${id}?expires=1&sig=REDACTED`,
  status: 200,
  bytes: 50,
  ms: 1,
  ...extra,
});
