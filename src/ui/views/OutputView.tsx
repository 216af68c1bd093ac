import { registry } from '../../../nodes/index.js';
import { useLab } from '../state/store.js';
import { useRef } from 'react';
import { slug } from '../presets/actions.js';
import { toast } from '../state/store.js';
import { exportOutput, exportResultPng } from './export.js';
import { NODE_VIEWS, portViewFor, VIEWS_WITHOUT_OUTPUT } from './index.js';
import { upstreamImage } from './upstream.js';
import { weightsProblem } from './attention/AttentionView.js';

/** The larger side view: the selected node's outputs (or, with nothing selected, the pipeline's last node with results). */
export function OutputView() {
  const pipeline = useLab((s) => s.history.present);
  const selected = useLab((s) => s.selectedNodes);
  const outputs = useLab((s) => s.outputs);
  const reports = useLab((s) => s.reports);
  const statuses = useLab((s) => s.statuses);
  const sinks = pipeline.nodes.filter((n) => !pipeline.edges.some((e) => e.from.node === n.id) && outputs[n.id]);
  const node = selected.length === 1 ? pipeline.nodes.find((n) => n.id === selected[0]) : sinks[sinks.length - 1];
  const def = node && registry.get(node.type);
  const values = node && outputs[node.id];
  const image = node && upstreamImage(pipeline.edges, outputs, node.id);
  const body = useRef<HTMLDivElement>(null);
  const savePng = () => {
    const canvas = body.current?.querySelector('canvas');
    if (!canvas || !node) return toast('nothing drawn to save: this output has no picture', 'error');
    exportResultPng(canvas, pipeline, `${slug(pipeline.name)}.${node.id}.png`).catch((e) => toast(`PNG export: ${(e as Error).message}`, 'error'));
  };
  return (
    <div className="output-view" data-testid="output-view" ref={body}>
      <h2 className="panel-title">
        Output {node && <span className="muted">· {node.label ?? node.id}</span>}
        {values && <button className="link png-export" data-testid="export-png" onClick={savePng} title="Save the picture as PNG, with this pipeline embedded (drop it on the lab to restore the pipeline)">PNG + pipeline</button>}
      </h2>
      {node && statuses[node.id]?.state === 'error' && (
        <div className="output-error" data-testid="output-error">
          <b>This node failed.</b> {weightsProblem(statuses[node.id].message)}
          <div className="mono small">{statuses[node.id].message}</div>
        </div>
      )}
      {!node || !def ? (
        <p className="muted">Select a node to see its output.</p>
      ) : !values && VIEWS_WITHOUT_OUTPUT.has(node.type) ? (
        (() => {
          const View = NODE_VIEWS[node.type];
          return <View nodeId={node.id} nodeType={node.type} params={node.params} outputs={{}} report={reports[node.id]} size="full" image={image} />;
        })()
      ) : !values ? (
        statuses[node.id]?.state !== 'error' && <p className="muted">No output yet: run the pipeline.</p>
      ) : NODE_VIEWS[node.type] ? (
        (() => {
          const View = NODE_VIEWS[node.type];
          return (
            <>
              <div className="output-port-name">
                {Object.keys(def.outputs).filter((port) => values[port] != null).map((port) => (
                  <button key={port} className="link save-output" data-testid="save-output" data-port={port} onClick={() => exportOutput(node.id, port, values[port])}>save {port}</button>
                ))}
              </div>
              <View nodeId={node.id} nodeType={node.type} params={node.params} outputs={values} report={reports[node.id]} size="full" image={image} />
            </>
          );
        })()
      ) : (
        Object.entries(def.outputs).map(([port, spec]) => {
          const View = portViewFor(spec.type);
          return (
            <div key={port} className="output-port">
              <div className="output-port-name">
                {port} <span className="muted">{spec.type}</span>
                {values[port] != null && (
                  <button className="link save-output" data-testid="save-output" data-port={port} onClick={() => exportOutput(node.id, port, values[port])}>save</button>
                )}
              </div>
              <View value={values[port]} nodeId={node.id} port={port} portType={spec.type} size="full" image={image} />
            </div>
          );
        })
      )}
    </div>
  );
}
