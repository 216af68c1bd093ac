export * from './boxes.js';
export * from './detector.js';
export * from './load.js';
export { ONet, PNet, RNet } from './nets.js';
export * from './values.js';
