/**
 * Where a test's demo dataset keeps its generated files (slide TIFFs, masks, ROI tables).
 *
 * scripts/run-tests.mjs points BCSS_TEST_DEMO_CACHE at one folder for the whole run: the demo is
 * deterministic (same seed and scale, same bytes), and its cache is made for sharing (atomic
 * writes, a ROI table per slide list, a sidecar only beside a file of its size), so a slide file
 * or mask that several test files serve is generated once per run instead of once per file. A
 * test file run on its own gets its own folder. Tests that watch generation (`onSlideGenerate`,
 * `onMaskRender`) or alter cached files must not use this: they keep a folder of their own.
 */
export function demoCacheDir(ownFolder: string): string {
  const shared = process.env.BCSS_TEST_DEMO_CACHE;
  return shared !== undefined && shared !== '' ? shared : ownFolder;
}
