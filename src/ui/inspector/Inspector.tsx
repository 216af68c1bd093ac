import { registry } from '../../../nodes/index.js';
import { PORT_TYPES } from '../../graph/ports.js';
import { updateNode } from '../../graph/edit.js';
import { CATEGORY_COLORS } from '../editor/categories.js';
import { edit, useLab } from '../state/store.js';
import { ParamForm } from './ParamForm.js';
import type { Pipeline } from '../../graph/schema.js';
import { BUNDLED_PRESETS } from '../presets/bundled.js';
import { paramChanges } from '../presets/param-diff.js';
import { readUserPresets } from '../presets/storage.js';
import { isTrainable, TrainPanel } from './TrainPanel.js';

/**
 * The preset this document was opened from (bundled or saved, by name), when its params have
 * changed since: the description was written for that preset, so it says it may be out of date.
 */
function DescriptionEdited({ pipeline }: { pipeline: Pipeline }) {
  const origin = BUNDLED_PRESETS.find((b) => b.pipeline?.name === pipeline.name)?.pipeline ?? readUserPresets().find((u) => u.name === pipeline.name)?.pipeline;
  if (!origin || origin.description !== pipeline.description) return null;
  const changes = paramChanges(origin, pipeline);
  if (!changes.length) return null;
  return (
    <p className="description-edited small" data-testid="description-edited">
      <b>Edited:</b> the description is the preset’s, from before {changes.length === 1 ? 'this change' : 'these changes'}: {changes.slice(0, 4).join('; ')}{changes.length > 4 ? ` (+${changes.length - 4})` : ''}.{' '}
      <button className="link" data-testid="description-note-changes" onClick={() => edit({ ...pipeline, description: `${pipeline.description.trim()}\n\nEdited: ${changes.join('; ')}.` }, 'pipeline-description')}>Add them to the description</button>
    </p>
  );
}

function PipelineInfo() {
  const pipeline = useLab((s) => s.history.present);
  return (
    <div className="inspector-body">
      <h2 className="panel-title">Pipeline</h2>
      <label className="field-label" htmlFor="pipeline-name">Name</label>
      <input id="pipeline-name" data-testid="pipeline-name" value={pipeline.name} onChange={(e) => e.target.value.trim() && edit({ ...pipeline, name: e.target.value }, 'pipeline-name')} />
      <label className="field-label" htmlFor="pipeline-description">Description</label>
      <textarea id="pipeline-description" rows={4} value={pipeline.description} onChange={(e) => edit({ ...pipeline, description: e.target.value }, 'pipeline-description')} />
      <DescriptionEdited pipeline={pipeline} />
      <p className="muted small">{pipeline.nodes.length} nodes · {pipeline.edges.length} edges. Select a node to edit its parameters.</p>
    </div>
  );
}

/** The selected node: docs, label, params form, ports and its last report. */
export function Inspector() {
  const selected = useLab((s) => s.selectedNodes);
  const pipeline = useLab((s) => s.history.present);
  const reports = useLab((s) => s.reports);
  if (selected.length > 1) return <div className="inspector-body"><h2 className="panel-title">{selected.length} nodes selected</h2><p className="muted">Copy, duplicate or delete them together; drag to move.</p></div>;
  const node = pipeline.nodes.find((n) => n.id === selected[0]);
  if (!node) return <PipelineInfo />;
  const def = registry.get(node.type);
  const report = reports[node.id];
  return (
    <div className="inspector-body" data-testid="inspector">
      <div className="inspector-head">
        <h2 className="panel-title">{def?.title ?? node.type}</h2>
        {def && <span className="chip" style={{ borderColor: CATEGORY_COLORS[def.category] }}>{def.category}</span>}
      </div>
      <p className="doc">{def?.doc ?? `Unknown node type “${node.type}”: it is not in this build's registry.`}</p>
      <div className="kv"><span>id</span><code>{node.id}</code></div>
      <label className="field-label" htmlFor="node-label">Label</label>
      <input id="node-label" value={node.label ?? ''} placeholder={node.id}
        onChange={(e) => edit((d) => updateNode(d, node.id, (n) => ({ ...n, label: e.target.value || undefined })), `label:${node.id}`)} />
      {def && (
        <>
          <h3 className="section-title">Parameters</h3>
          <ParamForm nodeId={node.id} schema={def.params} params={node.params} />
          {node.type === 'align' && node.params.select === 'central' && (
            <p className="muted small" data-testid="every-face-note">The lab aligns every face of its image so that each node shows them all; dataset runs and the CLI keep the central face (select: central), as a pairs evaluation compares one face per image.</p>
          )}
          {isTrainable(node.type) && <TrainPanel nodeId={node.id} weights={String(node.params.weights ?? '')} />}
          <h3 className="section-title">Ports</h3>
          <ul className="port-list">
            {Object.entries(def.inputs).map(([name, p]) => (
              <li key={`in-${name}`}><span className="port-dot" style={{ background: PORT_TYPES[p.type].color }} />in <b>{name}</b> <i>{p.type}{p.optional ? ', optional' : ''}</i><div className="muted small">{p.doc}</div></li>
            ))}
            {Object.entries(def.outputs).map(([name, p]) => (
              <li key={`out-${name}`}><span className="port-dot" style={{ background: PORT_TYPES[p.type].color }} />out <b>{name}</b> <i>{p.type}</i><div className="muted small">{p.doc}</div></li>
            ))}
          </ul>
        </>
      )}
      {report && (
        <>
          <h3 className="section-title">Report</h3>
          <pre className="report" tabIndex={0} aria-label="node report">{JSON.stringify(report, null, 2)}</pre>
        </>
      )}
    </div>
  );
}
