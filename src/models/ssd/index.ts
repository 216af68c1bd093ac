export * from './detector';
export { FaceLandmark68Net, LANDMARKS68_INPUT_SIZE } from './landmarks68';
export { SSD_ASSETS, loadLandmarks68, loadSsdMobileNet } from './load';
export { SSD_INPUT_SIZE, SsdMobileNetV1 } from './net';
