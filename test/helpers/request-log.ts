/**
 * Assertions over a server's request log, named for the property they protect rather than the
 * request counts that happen to show it today, so a refactor that keeps the property keeps the
 * test and one that breaks it says which promise it broke.
 */
import assert from 'node:assert/strict';
import type { RequestLogEntry } from '../../src/server/start-server.js';

const isListing = (e: RequestLogEntry): boolean => e.path.includes('/item?');
const isTilesMetadata = (e: RequestLogEntry): boolean => /\/tiles(\?|$)/.test(e.path);
const isRender = (e: RequestLogEntry): boolean => e.path.includes('/tiles/region');

export function renders(log: readonly RequestLogEntry[]): RequestLogEntry[] {
  return log.filter(isRender);
}

/** The DSA folder was listed in one request, however many ROIs the run wanted. */
export function assertFolderListedOnce(log: readonly RequestLogEntry[]): void {
  assert.equal(log.filter(isListing).length, 1, 'the folder listing is one request');
}

/** Each slide's `/tiles` metadata was asked once, whether looked up early or after the listing. */
export function assertSlideMetadataOncePerSlide(log: readonly RequestLogEntry[], slides: number): void {
  assert.equal(log.filter(isTilesMetadata).length, slides, 'one /tiles lookup per slide, never twice');
}

/** Each wanted region was rendered exactly once: no render is wasted or repeated. */
export function assertEachRegionRenderedOnce(log: readonly RequestLogEntry[], regions: number): void {
  assert.equal(renders(log).length, regions, 'one render per wanted region');
}

/**
 * A render that keeps failing is given up after its own small budget (3 tries), not the
 * run's whole retry budget, and not doubled by an early render on the same item.
 */
export function assertRenderGivenUpAfterItsBudget(log: readonly RequestLogEntry[]): void {
  assert.equal(renders(log).length, 3, 'a hopeless render is tried 3 times, not the whole retry budget');
}
