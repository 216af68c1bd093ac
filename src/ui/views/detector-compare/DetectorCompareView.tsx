import { useCallback } from 'react';
import { registry } from '../../../../nodes/index.js';
import { isImageValue, type DetectionsValue } from '../../../graph/values.js';
import { addNode, connect } from '../../../graph/edit.js';
import { formatMs } from '../../format.js';
import { edit, lab, select, useLab } from '../../state/store.js';
import { drawBoxes } from '../boxes.js';
import { MtcnnNodeView } from '../cascade/CascadeView.js';
import { ImageCanvas } from '../image.js';
import type { NodeViewProps } from '../types.js';
import { detectorMs, detectorTwins, detectorTypes, matchFaces } from './compare.js';

const COLORS = ['#f78c4f', '#4f9cf7'];
/** Two columns side by side in the output panel (a narrow panel stacks them). */
const SIDES = { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(150px, 1fr))', gap: 10 } as const;
/** "MTCNN", "SSD": a node type's title up to its first space. */
const shortTitle = (type: string | undefined) => (type && registry.get(type)?.title.split(' ')[0]) || type || '?';

/** Add a `type` detector below `nodeId` (clear of its card and thumbnail), reading the same image: the graph then runs both on every photo. */
function addTwin(nodeId: string, type: string) {
  const doc = lab.get().history.present;
  const node = doc.nodes.find((n) => n.id === nodeId);
  const src = doc.edges.find((e) => e.to.node === nodeId)?.from;
  if (!node || !src) return;
  const imagePort = Object.keys(registry.get(type)!.inputs)[0];
  const added = addNode(doc, registry, type, { x: node.position.x, y: node.position.y + 320 });
  edit(connect(added.doc, src, { node: added.id, port: imagePort }));
  select([nodeId]);
}

/** One detector's column: its boxes and points over the photo, face count and time. */
function Side({ nodeId, color, label }: { nodeId: string; color: string; label: string }) {
  const outputs = useLab((s) => s.outputs[nodeId]);
  const report = useLab((s) => s.reports[nodeId]);
  const status = useLab((s) => s.statuses[nodeId]);
  // the photo this detector read: its image input's source output
  const image = useLab((s) => {
    const src = s.history.present.edges.find((e) => e.to.node === nodeId)?.from;
    return src ? s.outputs[src.node]?.[src.port] : undefined;
  });
  const d = outputs?.detections as DetectionsValue | undefined;
  const overlay = useCallback((ctx: CanvasRenderingContext2D, k: number) => d && drawBoxes(ctx, k, d.boxes, d.scores, color, true, d.landmarks), [d, color]);
  const ms = detectorMs(report);
  return (
    <figure className="image-view image-view-full" data-testid="detector-side" data-node={nodeId} data-faces={d?.boxes.length ?? ''} data-ms={ms ?? ''}>
      <figcaption><span className="run-swatch" style={{ background: color }} /><b>{label}</b> <span className="muted">({nodeId})</span></figcaption>
      {d ? (
        <ImageCanvas image={isImageValue(image) ? image : undefined} width={d.imageWidth} height={d.imageHeight} size="full" overlay={overlay} testId="detector-side-canvas" />
      ) : (
        <div className="view-empty">{status?.state === 'error' ? `failed: ${status.message}` : 'not run yet'}</div>
      )}
      {d && <div className="small mono">{d.boxes.length} face{d.boxes.length === 1 ? '' : 's'} · {ms !== undefined ? formatMs(ms) : '–'}</div>}
    </figure>
  );
}

/** The two detectors' faces paired by overlap: found by both, by one only, and how far their five points lie apart. */
function Summary({ a, b, labels }: { a: string; b: string; labels: [string, string] }) {
  const da = useLab((s) => s.outputs[a]?.detections as DetectionsValue | undefined);
  const db = useLab((s) => s.outputs[b]?.detections as DetectionsValue | undefined);
  const ma = useLab((s) => detectorMs(s.reports[a]));
  const mb = useLab((s) => detectorMs(s.reports[b]));
  if (!da?.boxes || !db?.boxes) return null;
  const m = matchFaces(da, db);
  const offsets = m.both.map((x) => x.landmarkOffset).filter(Number.isFinite);
  const worst = offsets.length ? Math.max(...offsets) : undefined;
  return (
    <table className="gallery-table" data-testid="detector-summary" data-both={m.both.length} data-only-a={m.onlyA.length} data-only-b={m.onlyB.length}>
      <tbody>
        <tr><td>faces found by both (IoU ≥ 0.5)</td><td className="num mono">{m.both.length}</td></tr>
        <tr><td>only {labels[0]}</td><td className="num mono">{m.onlyA.length}</td></tr>
        <tr><td>only {labels[1]}</td><td className="num mono">{m.onlyB.length}</td></tr>
        {m.both.length > 0 && <tr><td>box overlap, lowest IoU</td><td className="num mono">{Math.min(...m.both.map((x) => x.iou)).toFixed(2)}</td></tr>}
        {worst !== undefined && <tr><td title="mean distance between the two detectors' five points, in inter-ocular distances">five points apart, worst face</td><td className="num mono">{worst.toFixed(2)} IOD</td></tr>}
        {ma !== undefined && mb !== undefined && <tr><td>time {labels[1]} / {labels[0]}</td><td className="num mono">{(mb / ma).toFixed(2)}×</td></tr>}
      </tbody>
    </table>
  );
}

/**
 * Two detectors on the same photo side by side: the selected detector node and every other
 * detector node reading the same image (boxes, five points, face count, time), or a button
 * that adds one.
 */
export function DetectorCompare({ nodeId, nodeType }: { nodeId: string; nodeType: string }) {
  const twin = useLab((s) => detectorTwins(s.history.present, registry, nodeId)[0]);
  const twinType = useLab((s) => s.history.present.nodes.find((n) => n.id === twin)?.type);
  const others = detectorTypes(registry).filter((t) => t !== nodeType);
  return (
    <section className="detector-compare" data-testid="detector-compare">
      <h3 className="section-title">Compare detectors <span className="muted">· same photo</span></h3>
      {twin ? (
        <>
          <div className="detector-sides" style={SIDES}>
            <Side nodeId={nodeId} color={COLORS[0]} label={shortTitle(nodeType)} />
            <Side nodeId={twin} color={COLORS[1]} label={shortTitle(twinType)} />
          </div>
          <Summary a={nodeId} b={twin} labels={[shortTitle(nodeType), shortTitle(twinType)]} />
          <p className="muted small">Times are each node's own compute when it last ran (its report), so a cached node keeps its time. Swap the detector feeding align to compare recognition too.</p>
        </>
      ) : (
        <div className="attention-hint">
          <span className="muted small">Run another detector on this photo beside this one (it reads the same image; the rest of the graph is unchanged).</span>
          {others.map((t) => (
            <button key={t} className="btn small" data-testid="add-detector-twin" data-type={t} onClick={() => addTwin(nodeId, t)}>+ Compare with {shortTitle(t)}</button>
          ))}
        </div>
      )}
    </section>
  );
}

/** The ssd node's view: its detections (as any Detections output), then the comparison. */
export function SsdNodeView(props: NodeViewProps) {
  const d = props.outputs.detections as DetectionsValue | undefined;
  const overlay = useCallback((ctx: CanvasRenderingContext2D, k: number) => d && drawBoxes(ctx, k, d.boxes, d.scores, COLORS[0], true, d.landmarks), [d]);
  if (!d?.boxes) return <div className="view-empty">no detections</div>;
  const ms = detectorMs(props.report);
  return (
    <div>
      <figure className={`image-view image-view-${props.size}`}>
        <ImageCanvas image={props.image} width={d.imageWidth} height={d.imageHeight} size={props.size} overlay={overlay} testId="detections-output" />
        <figcaption data-testid="detections-count">{d.boxes.length} face{d.boxes.length === 1 ? '' : 's'}{props.size === 'full' && ms !== undefined ? ` · ${formatMs(ms)}` : ''}</figcaption>
      </figure>
      {props.size === 'full' && <DetectorCompare nodeId={props.nodeId} nodeType={props.nodeType} />}
    </div>
  );
}

/** The mtcnn node's view (detections, funnel, thresholds), then the comparison. */
export function MtcnnCompareView(props: NodeViewProps) {
  return (
    <>
      <MtcnnNodeView {...props} />
      {props.size === 'full' && props.outputs.detections != null && <DetectorCompare nodeId={props.nodeId} nodeType={props.nodeType} />}
    </>
  );
}
