export { decodeWeights, type WeightsManifestGroup } from './manifest.js';
export { DLIB_BLOCKS, DLIB_INPUT_SIZE, DLIB_MEAN_RGB, DlibResNet, type DlibTap } from './net.js';
export { DLIB_ASSETS, disposeDlibResNet, loadDlibResNet } from './load.js';
