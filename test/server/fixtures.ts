/**
 * A small ServedDataset for testing the Girder layer in isolation, built from the real
 * CMU-1-Small-Region.svs (one item with annotations), plus plain items for listings, downloads
 * and ZIPs, a private folder, and virtual slides with the geometry of docs/imaging.md#region-size-examples.
 */
import { createReadStream, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { AnnotationElement, SlideGeometry } from '../../src/geometry/types.js';
import type {
  AnnotationDocument,
  ByteRange,
  ServedDataset,
  ServedFile,
  ServedFolder,
  ServedItem,
} from '../../src/server/dataset-types.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/start-server.js';
import { openSlide } from '../../src/slides/open-slide.js';
import { slideGeometry } from '../../src/slides/slide-geometry.js';
import type { RawPixels, SlideSource, StoredLevel } from '../../src/slides/types.js';

export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
export const SLIDE_PATH = resolve(repoRoot, 'data/slides/CMU-1-Small-Region.svs');

/** 2018-10-10 12:08:03 UTC, the BCSS folder's ObjectId time. */
const T0 = 0x5bbdeba3;

/** A fixture ObjectId: `tag` (≤ 8 hex-ish chars) after a plausible timestamp, padded. */
export function oid(n: number): string {
  return (T0 + n).toString(16) + n.toString(16).padStart(16, '0');
}

export const IDS = {
  collection: oid(1),
  publicFolder: oid(2),
  privateFolder: oid(3),
  subFolder: oid(4),
  manyFolder: oid(5),
  bigFolder: oid(6),
  slideItem: oid(10),
  slideFile: oid(11),
  docItem: oid(12),
  docFileA: oid(13),
  docFileB: oid(14),
  privateItem: oid(15),
  privateFile: oid(16),
  nestedItem: oid(17),
  nestedFile: oid(18),
  annotationA: oid(20),
  annotationB: oid(21),
  annotationPrivate: oid(23),
  annotationVisible: oid(24),
  annotationHidden: oid(25),
  annotationAfterHidden: oid(26),
  creator: oid(30),
} as const;

const iso = (id: string, ms = 0): string => {
  const d = new Date(Number.parseInt(id.slice(0, 8), 16) * 1000 + ms).toISOString();
  return d.endsWith('.000Z') ? d.replace('.000Z', '+00:00') : d.replace(/\.(\d{3})Z$/, '.$1000+00:00');
};

function bufferFile(id: string, itemId: string, name: string, bytes: Buffer, mimeType: string | null): ServedFile {
  return {
    id,
    itemId,
    name,
    size: bytes.length,
    mimeType,
    created: iso(id, 125),
    updated: iso(id, 125),
    open: (range?: ByteRange) => Readable.from([bytes.subarray(range?.start ?? 0, range?.end ?? bytes.length)]),
  };
}

function folder(id: string, name: string, parentId: string, parentCollection: ServedFolder['parentCollection'], isPublic: boolean): ServedFolder {
  return { id, name, description: `${name} folder`, parentId, parentCollection, creatorId: IDS.creator, created: iso(id), updated: iso(id), public: isPublic };
}

function plainItem(id: string, name: string, folderId: string, files: ServedFile[]): ServedItem {
  return {
    id,
    name,
    folderId,
    creatorId: IDS.creator,
    description: '',
    created: iso(id, 250),
    updated: iso(id, 250),
    files,
    largeImage: null,
    slide: null,
    annotations: async () => [],
  };
}

export const SLIDE_ELEMENTS: AnnotationElement[] = [
  { type: 'rectangle', group: 'roi', center: [600, 500, 0], width: 400, height: 300, rotation: 0, id: '5bbdf0000000000000000001' },
  {
    type: 'polyline',
    group: 'tumor',
    closed: true,
    points: [
      [450, 400, 0],
      [700, 420, 0],
      [650, 600, 0],
    ],
    label: { value: 'tumor \u00e9' },
  },
  { type: 'polyline', closed: true, points: [[500, 450, 0], [520, 460, 0], [510, 480, 0], [505, 470, 0]] },
];

function annotation(id: string, itemId: string, name: string, elements: AnnotationElement[], isPublic: boolean): AnnotationDocument {
  return {
    _id: id,
    itemId,
    creatorId: IDS.creator,
    created: iso(id, 500),
    updated: iso(id, 500),
    updatedId: IDS.creator,
    public: isPublic,
    _version: 3,
    annotation: { name, description: `${name} description`, elements: structuredClone(elements) },
  };
}

const PIXEL = Buffer.from([200, 120, 160]);

/** A synthetic slide of any size: every pixel is one colour; stored downsamples as given. */
export function constantSlide(width: number, height: number, downsamples: number[], meta: { mm: number | null; mag: number | null }): SlideSource {
  const levels: StoredLevel[] = downsamples.map((d) => ({ width: Math.floor(width / d), height: Math.floor(height / d), downsample: d }));
  return {
    width,
    height,
    tileWidth: 240,
    tileHeight: 240,
    mmX: meta.mm,
    mmY: meta.mm,
    magnification: meta.mag,
    levels,
    async readRaw(levelIndex, rect): Promise<RawPixels> {
      const level = levels[levelIndex];
      if (!level || rect.left + rect.width > level.width || rect.top + rect.height > level.height) {
        throw new RangeError(`constantSlide: bad read ${JSON.stringify(rect)} at level ${levelIndex}`);
      }
      const data = Buffer.alloc(rect.width * rect.height * 3, PIXEL);
      return { data, width: rect.width, height: rect.height, channels: 3 };
    },
    async close() {},
  };
}

function virtualSlideItem(n: number, name: string, source: SlideSource): ServedItem {
  const id = oid(100 + n);
  const fileId = oid(200 + n);
  const geometry: SlideGeometry = slideGeometry(source);
  return {
    ...plainItem(id, name, IDS.bigFolder, [bufferFile(fileId, id, name, Buffer.from(`stand-in ${name}`), 'image/tiff')]),
    largeImage: { fileId, sourceName: 'openslide' },
    slide: { tileWidth: 240, tileHeight: 240, geometry, open: async () => source },
  };
}

/** The virtual slides of docs/imaging.md#region-size-examples, by name. */
export const A12_SLIDES = {
  svs40: 'svs-40x.svs',
  full40: 'full-40x.svs',
  bare: 'no-metadata.svs',
  svs20: 'svs-20x.svs',
  /** No pyramid: every scaled read comes from full resolution. */
  flat: 'flat-40x.svs',
} as const;

export interface Fixture {
  dataset: ServedDataset;
  slideGeometry: SlideGeometry;
  slideBytes: Buffer;
}

export async function buildFixture(): Promise<Fixture> {
  const source = await openSlide(SLIDE_PATH);
  const geometry = slideGeometry(source);
  await source.close();
  const slideSize = statSync(SLIDE_PATH).size;
  const { readFile } = await import('node:fs/promises');
  const slideBytes = await readFile(SLIDE_PATH);

  const slideFile: ServedFile = {
    id: IDS.slideFile,
    itemId: IDS.slideItem,
    name: 'TCGA-A1-A0SK-01Z-00-DX1.test.svs',
    size: slideSize,
    mimeType: 'image/tiff',
    created: iso(IDS.slideFile, 125),
    updated: iso(IDS.slideFile, 125),
    sha512: createHash('sha512').update(slideBytes).digest('hex'),
    open: (range?: ByteRange) => createReadStream(SLIDE_PATH, { start: range?.start ?? 0, end: (range?.end ?? slideSize) - 1 }),
  };
  const slideItem: ServedItem = {
    ...plainItem(IDS.slideItem, 'TCGA-A1-A0SK-01Z-00-DX1.test.svs', IDS.publicFolder, [slideFile]),
    largeImage: { fileId: IDS.slideFile, sourceName: 'openslide' },
    slide: { tileWidth: 240, tileHeight: 240, geometry, open: () => openSlide(SLIDE_PATH) },
    annotations: async () => [
      annotation(IDS.annotationB, IDS.slideItem, 'second', SLIDE_ELEMENTS.slice(0, 1), true),
      annotation(IDS.annotationA, IDS.slideItem, 'first', SLIDE_ELEMENTS, true),
    ],
  };
  const docItem = plainItem(IDS.docItem, 'notes', IDS.publicFolder, [
    bufferFile(IDS.docFileA, IDS.docItem, 'a.txt', Buffer.from('hello, world\n'), 'text/plain'),
    bufferFile(IDS.docFileB, IDS.docItem, 'b \u00e9\u2603 "q".txt', Buffer.alloc(70_000, 7), null),
  ]);
  docItem.annotations = async () => [
    annotation(IDS.annotationVisible, IDS.docItem, 'visible', SLIDE_ELEMENTS.slice(1, 2), true),
    annotation(IDS.annotationHidden, IDS.docItem, 'hidden', SLIDE_ELEMENTS.slice(2), false),
    annotation(IDS.annotationAfterHidden, IDS.docItem, 'after hidden', SLIDE_ELEMENTS.slice(0, 1), true),
  ];
  const privateItem = plainItem(IDS.privateItem, 'secret.txt', IDS.privateFolder, [
    bufferFile(IDS.privateFile, IDS.privateItem, 'secret.txt', Buffer.from('top secret\n'), 'text/plain'),
  ]);
  privateItem.annotations = async () => [annotation(IDS.annotationPrivate, IDS.privateItem, 'private', SLIDE_ELEMENTS.slice(0, 1), true)];
  const nestedItem = plainItem(IDS.nestedItem, 'nested.bin', IDS.subFolder, [
    bufferFile(IDS.nestedFile, IDS.nestedItem, 'nested.bin', Buffer.from([1, 2, 3]), 'application/octet-stream'),
  ]);
  const many: ServedItem[] = [];
  for (let i = 0; i < 120; i++) {
    // Names in reverse so that the default lowerName sort differs from insertion order.
    const name = `Item-${String(119 - i).padStart(3, '0')}`;
    const id = oid(1000 + i);
    many.push(plainItem(id, name, IDS.manyFolder, [bufferFile(oid(2000 + i), id, `${name}.txt`, Buffer.from(name), 'text/plain')]));
  }
  const big = [
    virtualSlideItem(1, A12_SLIDES.svs40, constantSlide(120000, 90000, [1, 4, 16, 64], { mm: 0.000252, mag: 40 })),
    virtualSlideItem(2, A12_SLIDES.full40, constantSlide(120000, 90000, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], { mm: 0.000252, mag: 40 })),
    virtualSlideItem(3, A12_SLIDES.bare, constantSlide(120000, 90000, [1, 4, 16, 64], { mm: null, mag: null })),
    virtualSlideItem(4, A12_SLIDES.svs20, constantSlide(60000, 45000, [1, 4, 16, 64], { mm: 0.000504, mag: 20 })),
    virtualSlideItem(5, A12_SLIDES.flat, constantSlide(120000, 90000, [1], { mm: 0.000252, mag: 40 })),
  ];

  const dataset: ServedDataset = {
    collection: { id: IDS.collection, name: 'BCSS test' },
    folders: [
      folder(IDS.publicFolder, 'slides', IDS.collection, 'collection', true),
      folder(IDS.privateFolder, 'private', IDS.collection, 'collection', false),
      folder(IDS.subFolder, 'sub', IDS.publicFolder, 'folder', true),
      folder(IDS.manyFolder, 'many', IDS.collection, 'collection', true),
      folder(IDS.bigFolder, 'virtual', IDS.collection, 'collection', true),
    ],
    items: [slideItem, docItem, privateItem, nestedItem, ...many, ...big],
    figshare: { articleId: 1, title: 'test', doi: '10.0/test', files: [] },
    gdc: { files: [] },
    roiTablePath: null,
  };
  return { dataset, slideGeometry: geometry, slideBytes };
}

let cached: Promise<Fixture> | null = null;
export function fixture(): Promise<Fixture> {
  cached ??= buildFixture();
  return cached;
}

/** Start a server on 127.0.0.1:0 over the fixture. */
export async function startFixtureServer(options: Partial<ServerOptions> = {}): Promise<RunningServer & { fx: Fixture }> {
  const fx = await fixture();
  const server = await startServer({ dataset: fx.dataset, ...options });
  return Object.assign(server, { fx });
}

export function itemIdByName(fx: Fixture, name: string): string {
  const item = fx.dataset.items.find((i) => i.name === name);
  if (!item) throw new Error(`no fixture item ${name}`);
  return item.id;
}

/** fetch + text, never throwing on HTTP status. */
export async function get(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string; bytes: Buffer }> {
  const res = await fetch(url, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: bytes.toString('utf8'), bytes };
}
