export * from './boxes';
export * from './detector';
export * from './load';
export { ONet, PNet, RNet } from './nets';
export * from './values';
