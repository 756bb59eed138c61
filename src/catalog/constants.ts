/** Public Digital Slide Archive holding the BCSS slides and annotations. */
export const DSA_API_URL = 'https://demo.kitware.com/histomicstk/api/v1';
/** Girder folder with the 151 BCSS slides on that DSA. */
export const DSA_FOLDER_ID = '5bbdeba3e629140048d017bb';

export const FIGSHARE_API_URL = 'https://api.figshare.com/v2';
/** figshare article with the base-resolution masks (file ids 13243676..13244129). */
export const FIGSHARE_ARTICLE_ID = 7193138;

/** NCI Genomic Data Commons API (the TCGA whole-slide images). */
export const GDC_API_URL = 'https://api.gdc.cancer.gov';

export const DATASET_NAME = 'BCSS';
export const DATASET_TITLE = 'Breast Cancer Semantic Segmentation (BCSS)';
export const CITATION_DOI = '10.1093/bioinformatics/btz083';
export const CITATION =
  'Amgad M, Elfandy H, Hussein H, et al. Structured crowdsourcing enables convolutional ' +
  'segmentation of histology images. Bioinformatics 35(18):3461-3467, 2019. ' +
  `doi:${CITATION_DOI}`;
/** SPDX identifier of the dataset licence (the upstream code is MIT). */
export const DATA_LICENSE = 'CC0-1.0';
