export * from './detector.js';
export { FaceLandmark68Net, LANDMARKS68_INPUT_SIZE } from './landmarks68.js';
export { SSD_ASSETS, loadLandmarks68, loadSsdMobileNet } from './load.js';
export { SSD_INPUT_SIZE, SsdMobileNetV1 } from './net.js';
