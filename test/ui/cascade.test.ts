import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../src/graph/schema.js';
import { cascadeChain, funnelRows, mtcnnFunnelRows } from '../../src/ui/views/cascade/chain.js';
import mtcnn from '../../presets/mtcnn.json';

const preset = mtcnn as unknown as Pipeline;

describe('cascade chain', () => {
  it('orders the stage nodes of the MTCNN preset from any of them', () => {
    for (const id of ['pyramid', 'pnet', 'nms_rnet', 'onet']) {
      expect(cascadeChain(preset, id).map((s) => s.id)).toEqual(['pyramid', 'pnet', 'nms_pnet', 'rnet', 'nms_rnet', 'onet']);
    }
    const chain = cascadeChain(preset, 'rnet');
    expect(chain.map((s) => s.label)).toEqual(['Pyramid', 'P-Net', 'NMS (P-Net)', 'R-Net', 'NMS (R-Net)', 'O-Net']);
    expect(chain.find((s) => s.id === 'nms_pnet')?.threshold?.key).toBe('iouThreshold');
  });

  it('is empty for nodes outside a cascade', () => {
    expect(cascadeChain(preset, 'input')).toEqual([]);
    expect(cascadeChain(preset, 'nope')).toEqual([]);
  });

  it('turns stage reports into funnel rows and stops at a stage without a report', () => {
    const chain = cascadeChain(preset, 'pnet');
    const reports = {
      pyramid: { levels: 9 },
      pnet: { candidatesIn: 50000, candidatesOut: 800 },
      nms_pnet: { candidatesIn: 800, candidatesOut: 120 },
      rnet: { candidatesIn: 120, candidatesOut: 20 },
    };
    const rows = funnelRows(chain, reports);
    expect(rows.map(({ label, count, nodeId }) => ({ label, count, nodeId }))).toEqual([
      { label: 'Windows scanned', count: 50000, nodeId: 'pnet' },
      { label: 'After P-Net', count: 800, nodeId: 'pnet' },
      { label: 'After NMS (P-Net)', count: 120, nodeId: 'nms_pnet' },
      { label: 'After R-Net', count: 20, nodeId: 'rnet' },
    ]);
    // each row says what its stage is given and keeps
    expect(rows.every((r) => r.hint && r.hint.length > 20)).toBe(true);
    expect(mtcnnFunnelRows({ funnel: { pnet: 300, pnetNms: 90, rnet: 12, rnetNms: 8, onet: 2 } }).map((r) => r.count)).toEqual([300, 90, 12, 8, 2]);
    expect(mtcnnFunnelRows(undefined)).toEqual([]);
  });
});
