/**
 * The fastest a client could finish under the server model (issue #5): the larger of
 *   - the bandwidth bound: each service's body bytes over its own cap (the caps are per
 *     service, so the busiest service decides), and
 *   - the render-queue bound: every region's slot time spread over the queue's parallel slots.
 *
 * Two readings of a slot's time are reported:
 *   - `renderSeconds`: modelled render time only (Σ render / N). Reachable only by a client that
 *     keeps many more region requests in flight than the queue has slots, hiding the latency.
 *   - `renderWithLatencySeconds`: latency + render per region (Σ (latency + render) / N): the
 *     best a client can do with as many regions in flight as the queue has slots — the polite
 *     default the issue itself asks for ("DSA region renders 4 at a time by default").
 * `boundSeconds` uses the second (what a polite client can reach); `pureBoundSeconds` the first.
 * figshare's polite floor (≥ 1 s between requests) is reported separately; the timed run
 * relaxes it with `--figshare-interval 0`.
 */
import type { RequestLogEntry } from '../../src/server/start-server.js';
import type { ServiceModel } from '../../test/helpers/harness/bench-server.js';

export interface LowerBound {
  bandwidthSeconds: number;
  renderSeconds: number;
  renderWithLatencySeconds: number;
  /** max(bandwidth, render incl. latency). */
  boundSeconds: number;
  /** max(bandwidth, render only). */
  pureBoundSeconds: number;
  /** What a client that keeps figshare at ≤ 1 request/s needs at least: (requests − 1) s. */
  figshareFloorSeconds: number;
  figshareRequests: number;
  regions: number;
  megapixels: number;
}

export interface ImageSize {
  width: number;
  height: number;
}

export function lowerBound(model: ServiceModel, log: readonly RequestLogEntry[], images: readonly ImageSize[]): LowerBound {
  const bytes = new Map<string, number>();
  for (const e of log) bytes.set(e.service, (bytes.get(e.service) ?? 0) + e.bytes);
  const busiest = Math.max(0, ...bytes.values());
  const bandwidthSeconds = busiest / model.bandwidthBytesPerSec;
  const megapixels = images.reduce((sum, s) => sum + (s.width * s.height) / 1e6, 0);
  const renderSeconds = (megapixels * model.renderMsPerMegapixel) / 1000 / model.renderConcurrency;
  const renderWithLatencySeconds = renderSeconds + (images.length * model.latencyMs) / 1000 / model.renderConcurrency;
  // Requests to figshare's API hosts; the pre-signed object-store hops (`/blob/`) are not figshare's.
  const figshareRequests = log.filter((e) => e.service === 'figshare' && !e.path.startsWith('/figshare/blob/')).length;
  return {
    bandwidthSeconds,
    renderSeconds,
    renderWithLatencySeconds,
    boundSeconds: Math.max(bandwidthSeconds, renderWithLatencySeconds),
    pureBoundSeconds: Math.max(bandwidthSeconds, renderSeconds),
    figshareFloorSeconds: Math.max(0, figshareRequests - 1),
    figshareRequests,
    regions: images.length,
    megapixels,
  };
}
