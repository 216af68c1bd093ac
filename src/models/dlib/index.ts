export { decodeWeights, type WeightsManifestGroup } from './manifest';
export { DLIB_BLOCKS, DLIB_INPUT_SIZE, DLIB_MEAN_RGB, DlibResNet, type DlibTap } from './net';
export { DLIB_ASSETS, disposeDlibResNet, loadDlibResNet } from './load';
