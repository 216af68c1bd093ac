export { buildMobileFaceNetGraph, type MobileFaceNetGraph } from './graph.js';
export { MobileFaceNet } from './net.js';
export { disposeMobileFaceNet, loadMobileFaceNet } from './load.js';
