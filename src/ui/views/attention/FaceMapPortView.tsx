import type { ViewProps } from '../types.js';
import { ValueSummaryView } from '../value-summary.js';
import { AttentionView } from './AttentionView.js';
import { isFaceMap } from './maps.js';

/**
 * Any Weights output that is a per-face map ([n, h, w], kind gate or sensitivity: e.g. a gate
 * map that a backbone node outputs at its 14x14 stage) gets the heatmap view over the faces
 * upstream of its node; other Weights values keep the plain summary.
 */
export function FaceMapPortView(props: ViewProps) {
  if (!isFaceMap(props.value)) return <ValueSummaryView {...props} />;
  return <AttentionView nodeId={props.nodeId} nodeType="" params={{}} outputs={{}} size={props.size} image={props.image} />;
}
