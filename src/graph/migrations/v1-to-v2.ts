/**
 * Version 1 wrote edges in the compact text form "a.out -> b.in" (handy by hand, but port
 * names could not contain dots and editors had to parse strings). Version 2 writes
 * structured { from: {node, port}, to: {node, port} } edges.
 */
export const v1ToV2 = {
  from: 1,
  to: 2,
  migrate(doc: Record<string, unknown>): Record<string, unknown> {
    const edges = Array.isArray(doc.edges) ? doc.edges : [];
    return {
      ...doc,
      version: 2,
      edges: edges.map((edge, i) => {
        if (typeof edge !== 'string') throw new Error(`edges[${i}]: expected a string like "a.out -> b.in" in a version 1 document`);
        const m = /^\s*([^.\s]+)\.(\S+)\s*->\s*([^.\s]+)\.(\S+)\s*$/.exec(edge);
        if (!m) throw new Error(`edges[${i}]: "${edge}" is not of the form "node.port -> node.port"`);
        return { from: { node: m[1], port: m[2] }, to: { node: m[3], port: m[4] } };
      }),
    };
  },
};
