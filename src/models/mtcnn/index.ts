export * from './boxes.js';
export * from './detector.js';
export * from './load.js';
export { type MtcnnNet, PNET_BANDS, type RowBands, SimdNet, TfNet, onetLayers, pnetLayers, rnetLayers } from './nets.js';
export * from './values.js';
