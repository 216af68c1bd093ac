// recharts imports `isFragment` from react-is, a peer dependency this project does not install;
// vite.config.ts aliases 'react-is' to this file. A React 19 element is a fragment when its type
// is the fragment symbol (React 18 elements use the older element symbol).
const ELEMENT_TYPES = new Set([Symbol.for('react.transitional.element'), Symbol.for('react.element')]);
const FRAGMENT = Symbol.for('react.fragment');

export function isFragment(value: unknown): boolean {
  const v = value as { $$typeof?: symbol; type?: unknown } | null;
  return !!v && typeof v === 'object' && ELEMENT_TYPES.has(v.$$typeof as symbol) && v.type === FRAGMENT;
}
