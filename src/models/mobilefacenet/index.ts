export { buildMobileFaceNetGraph, type MobileFaceNetGraph } from './graph';
export { MobileFaceNet } from './net';
export { disposeMobileFaceNet, loadMobileFaceNet } from './load';
