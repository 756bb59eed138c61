/**
 * The DownloadOptions of a test run against `bcss serve`'s demo on 127.0.0.1: the demo's folder
 * and article, anonymous, every lane `laneConcurrency` wide with no politeness delay (the demo is
 * local; politeness has its own tests), images and masks at 0.25 µm/px from the demo's ROI
 * table. A test names only what it is about in `over`.
 */
import type { RoiRecord } from '../../src/catalog/types.js';
import type { DownloadOptions } from '../../src/pipeline/types.js';

export interface DemoUrls {
  girder: string;
  figshare: string;
  gdc: string;
}

export const DEMO_FOLDER_ID = '5bbdeba3e629140048d017bb';
export const DEMO_ARTICLE_ID = 7193138;

export function demoDownloadOptions(urls: DemoUrls, rois: RoiRecord[], over: Partial<DownloadOptions> = {}, laneConcurrency = 4): DownloadOptions {
  const lane = { concurrency: laneConcurrency, minIntervalMs: 0 };
  return {
    outDir: '',
    components: ['images', 'masks'],
    resolution: { kind: 'mpp', mpp: 0.25 },
    encoding: 'png',
    maskAlign: 'resize',
    rois,
    customRois: true,
    apiUrl: urls.girder,
    folderId: DEMO_FOLDER_ID,
    figshareUrl: urls.figshare,
    figshareArticleId: DEMO_ARTICLE_ID,
    gdcUrl: urls.gdc,
    credentials: { kind: 'anonymous' },
    lanes: { dsa: lane, 'dsa-render': lane, figshare: lane, gdc: lane },
    concurrency: 6,
    maxRetries: 4,
    headersTimeoutMs: 20_000,
    idleTimeoutMs: 20_000,
    dryRun: false,
    failFast: false,
    wsiKeyEnvVar: 'BCSS_API_KEY',
    ...over,
  };
}
