import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, hostname, platform, release, totalmem } from 'node:os';
import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';

export interface RunIdentity {
  engine: { backend: string; model: string; device: string; computeType: string; batchSize: number } | undefined;
  versions: Record<string, string>;
  machine: { hostname: string; platform: string; release: string; cpuModel: string; cpus: number; memoryBytes: number };
}

function packageVersion(name: string): string {
  try {
    // Walk up from the package's entry point: not every package exports its package.json.
    const require = createRequire(import.meta.url);
    let dir = require.resolve(name);
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'));
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? 'unknown';
      } catch {
        // not this folder
      }
    }
  } catch {
    // not installed
  }
  return 'unknown';
}

function loadgenVersion(): string {
  // dist/loadgen/src/output/ → the repository's package.json, four levels up.
  try {
    return (
      JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

/** Who measured what, where: the header of every report and summary.json. */
export function runIdentity(engine: EngineInfo | undefined): RunIdentity {
  const cpu = cpus();
  return {
    engine:
      engine === undefined
        ? undefined
        : {
            backend: engine.backend,
            model: engine.model,
            device: engine.device,
            computeType: engine.computeType,
            batchSize: engine.batchSize,
          },
    versions: {
      loadgen: loadgenVersion(),
      node: process.versions.node,
      '@grpc/grpc-js': packageVersion('@grpc/grpc-js'),
      'hdr-histogram-js': packageVersion('hdr-histogram-js'),
    },
    machine: {
      hostname: hostname(),
      platform: platform(),
      release: release(),
      cpuModel: cpu[0]?.model ?? 'unknown',
      cpus: cpu.length,
      memoryBytes: totalmem(),
    },
  };
}
