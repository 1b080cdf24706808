import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// The .ts sources, not dist/: a type-only import leaves nothing in the emitted JavaScript.
const SRC = fileURLToPath(new URL('../../../loadgen/src/', import.meta.url));

/** The loadgen's data path: a folder may import only folders that come before it, never run <-> output. */
const FORBIDDEN: Record<string, string[]> = {
  run: ['output'],
  output: ['run'],
  results: ['run', 'output'],
  gate: ['run', 'output'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier of static imports and exports (multi-line ones included) and dynamic import(). */
function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1] as string));
}

/** The top folder of loadgen/src a relative specifier lands in, or undefined for packages and #aliases. */
function targetFolder(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const rel = relative(SRC, resolve(dirname(file), specifier));
  return rel.startsWith('..') || !rel.includes(sep) ? undefined : rel.split(sep)[0];
}

describe('loadgen layers: run/ and output/ meet only in results/', () => {
  it('finds imports the way the compiler writes them', () => {
    assert.deepEqual(
      importSpecifiers(
        [
          "import type { A } from '../results/a.js';",
          'import {\n  b,\n  type C,\n} from "../output/b.js";',
          "export { d } from './d.js';",
          "import './side-effect.js';",
          "const e = await import('../run/e.js');",
          "// import { x } from '../run/commented.js';",
        ].join('\n'),
      ).sort(),
      ['../output/b.js', '../results/a.js', '../run/e.js', './d.js', './side-effect.js'].sort(),
    );
  });

  it('no folder imports one that comes after it on the data path', () => {
    const crossings: string[] = [];
    let checked = 0;
    for (const [folder, forbidden] of Object.entries(FORBIDDEN)) {
      const files = sources(join(SRC, folder));
      assert.ok(files.length > 0, `${folder}/ has sources`);
      for (const file of files) {
        for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
          checked++;
          const target = targetFolder(file, spec);
          if (target !== undefined && forbidden.includes(target))
            crossings.push(`${relative(SRC, file)} imports ${spec}`);
        }
      }
    }
    assert.ok(checked > 50, `only ${checked} imports found: the parser is missing them`);
    assert.deepEqual(crossings, []);
  });
});
