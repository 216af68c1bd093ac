import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';

/** URL prefix (under the app's base) where npm package files are served: /pkg/<package>/<path>. */
export const PACKAGE_ASSET_PREFIX = 'pkg/';

export interface PackageAssetSet {
  /** A folder inside node_modules, e.g. "@vladmandic/face-api/demo". */
  dir: string;
  /** Which file names in it `vite build` copies. */
  match: RegExp;
}

const MIME: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.json': 'application/json' };

/**
 * Serves files of npm packages at /pkg/... from node_modules in dev (any file, no copies),
 * and copies the listed sets (and `projectDirs`) into the build so its output works on its own.
 */
export function packageAssets(sets: PackageAssetSet[], opts: { projectDirs?: string[]; root?: string } = {}): Plugin {
  const root = opts.root ?? process.cwd();
  const modules = path.resolve(root, 'node_modules');
  const resolve = (rel: string): string | undefined => {
    const file = path.resolve(modules, decodeURIComponent(rel));
    return file.startsWith(modules + path.sep) && existsSync(file) && statSync(file).isFile() ? file : undefined;
  };
  return {
    name: 'faceflow-package-assets',
    configureServer(server) {
      const prefix = `${server.config.base}${PACKAGE_ASSET_PREFIX}`;
      server.middlewares.use((req, res, next) => {
        const url = req.url?.split('?')[0] ?? '';
        if (!url.startsWith(prefix)) return next();
        const file = resolve(url.slice(prefix.length));
        if (!file) {
          res.statusCode = 404;
          res.end(`no such package file: ${url.slice(prefix.length)}`);
          return;
        }
        res.setHeader('Content-Type', MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream');
        res.setHeader('Cache-Control', 'max-age=3600');
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const set of sets) {
        const dir = path.join(modules, set.dir);
        if (!existsSync(dir)) this.error(`package asset folder not found: node_modules/${set.dir}`);
        for (const name of readdirSync(dir).filter((n) => set.match.test(n))) {
          this.emitFile({ type: 'asset', fileName: `${PACKAGE_ASSET_PREFIX}${set.dir}/${name}`, source: readFileSync(path.join(dir, name)) });
        }
      }
      // Project folders (e.g. presets/weights, written by `faceflow train`) keep their path; dev serves them from the root.
      for (const rel of opts.projectDirs ?? []) {
        const dir = path.join(root, rel);
        if (!existsSync(dir)) continue;
        for (const name of readdirSync(dir).filter((n) => statSync(path.join(dir, n)).isFile())) {
          this.emitFile({ type: 'asset', fileName: `${rel}/${name}`, source: readFileSync(path.join(dir, name)) });
        }
      }
    },
  };
}
