import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');

interface Service {
  image?: string;
  build?: { dockerfile?: string; target?: string; args?: Record<string, string> };
  entrypoint?: string[];
  command?: string[];
  user?: string;
  restart?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, Service>;
}

/** The value compose gives `${VAR:-default}` with nothing set: the default; a required one: "set". */
function withDefaults(text: string): string {
  return text.replace(/\$\{(\w+)(?::?([-?]))?([^}]*)\}/g, (_m, _name, op: string | undefined, rest: string) =>
    op === '-' ? rest : op === '?' ? 'set' : '',
  );
}

const load = (file: string): ComposeFile => parse(read(file)) as ComposeFile;

/** Each stage of a Dockerfile by name (the last one also as ''), with the user it ends as. */
function stageUsers(dockerfile: string): Map<string, string> {
  const users = new Map<string, string>();
  let stage = '';
  let user = 'root';
  const lines = read(dockerfile).split('\n');
  for (const line of lines) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from !== null) {
      stage = from[1] ?? '';
      user = 'root';
    }
    const u = /^USER\s+(\S+)/i.exec(line);
    if (u !== null) user = u[1] as string;
    users.set(stage, user);
  }
  users.set('', user);
  return users;
}

const isRoot = (user: string): boolean => /^(0|root)(:|$)/.test(user.trim());

/** Services that others wait for to exit 0, and those run by hand under a profile: no restart. */
function oneShots(c: ComposeFile): Set<string> {
  const out = new Set<string>();
  for (const [name, s] of Object.entries(c.services)) {
    if (s.profiles !== undefined) out.add(name);
    for (const [dep, d] of Object.entries(s.depends_on ?? {}))
      if (d.condition === 'service_completed_successfully') out.add(dep);
  }
  return out;
}

/** Every rule of issue 18's compose list, as messages; an empty list passes. */
function problems(c: ComposeFile): string[] {
  const out: string[] = [];
  const once = oneShots(c);
  for (const [name, s] of Object.entries(c.services)) {
    if (once.has(name) && s.restart !== undefined) out.push(`${name}: a one-shot service must not restart`);
    if (!once.has(name) && s.restart !== 'unless-stopped')
      out.push(`${name}: a long-running service needs restart: unless-stopped`);

    if (s.user !== undefined) {
      if (isRoot(withDefaults(s.user))) out.push(`${name}: runs as root (user: ${s.user})`);
    } else if (s.build?.dockerfile !== undefined) {
      const user = stageUsers(s.build.dockerfile).get(s.build.target ?? '');
      if (user === undefined) out.push(`${name}: no stage ${s.build.target} in ${s.build.dockerfile}`);
      else if (isRoot(user))
        out.push(`${name}: ${s.build.dockerfile} stage ${s.build.target ?? '(last)'} runs as root`);
    } else out.push(`${name}: no user: and no Dockerfile of ours to say who it runs as`);

    // A host folder it writes to (a bind mount without :ro) gets files owned by whoever it runs as.
    const writesHost = (s.volumes ?? []).some((v) => /^[.$/]/.test(v) && !v.endsWith(':ro'));
    if (writesHost && !(s.user ?? '').startsWith('${CALLSCRIBE_UID'))
      out.push(`${name}: writes a host folder, so it must run as CALLSCRIBE_UID:CALLSCRIBE_GID`);

    for (const image of [s.image, s.build?.args?.['BASE_IMAGE']]) {
      if (image === undefined) continue;
      const resolved = withDefaults(image);
      const tag = /:([^/:]+)$/.exec(resolved)?.[1];
      if (tag === undefined || tag === 'latest') out.push(`${name}: ${image} is not pinned to a tag other than latest`);
    }
  }
  return out;
}

const FILES = ['docker-compose.yml', 'docker-compose.gpu.yml'];

describe('compose files', () => {
  for (const file of FILES)
    it(`${file}: restart policies, no root, pinned images`, () => {
      const c = load(file);
      assert.deepEqual(problems(c), []);
      // The classification above must not pass by finding nothing to check.
      const once = oneShots(c);
      for (const name of ['transcriber', 'gateway']) assert.ok(!once.has(name), `${name} is long-running`);
      assert.ok(once.has('loadgen'), 'the loadgen is a one-shot');
    });

  it('each rule fails a file that breaks it', () => {
    const broken = (edit: (c: ComposeFile) => void): string[] => {
      const c = load('docker-compose.gpu.yml');
      edit(c);
      return problems(c);
    };
    const svc = (c: ComposeFile, name: string): Service => c.services[name] as Service;
    assert.match(
      broken((c) => delete svc(c, 'gateway').restart).join('\n'),
      /gateway: a long-running service needs restart/,
    );
    assert.match(
      broken((c) => {
        svc(c, 'loadgen').restart = 'unless-stopped';
      }).join('\n'),
      /loadgen: a one-shot service must not restart/,
    );
    assert.match(
      broken((c) => {
        svc(c, 'minio').user = '0:0';
      }).join('\n'),
      /minio: runs as root/,
    );
    assert.match(broken((c) => delete svc(c, 'minio-init').user).join('\n'), /minio-init: no user: and no Dockerfile/);
    assert.match(
      broken((c) => {
        svc(c, 'loadgen').user = '1000:1000';
      }).join('\n'),
      /loadgen: writes a host folder/,
    );
    assert.match(
      broken((c) => {
        svc(c, 'minio').image = 'quay.io/minio/minio:${MINIO_TAG:-latest}';
      }).join('\n'),
      /minio: .* is not pinned/,
    );
    assert.match(
      broken((c) => {
        svc(c, 'minio-init').image = 'quay.io/minio/mc';
      }).join('\n'),
      /minio-init: .* is not pinned/,
    );
  });

  it('docker/node.Dockerfile: every stage a service runs, and the default (last) one, ends as a non-root user', () => {
    const users = stageUsers('docker/node.Dockerfile');
    for (const stage of ['dev', 'node', 'transcriber', '']) {
      const user = users.get(stage);
      assert.ok(user !== undefined && !isRoot(user), `stage ${stage || '(last)'} runs as ${user}`);
    }
  });

  it('the GPU stack passes the GPU Dockerfile its own default base image', () => {
    // A different default here would silently build another base (e.g. one with a second cuDNN).
    const dockerfileDefault = /^ARG BASE_IMAGE=(\S+)/m.exec(read('docker/transcriber-gpu.Dockerfile'))?.[1];
    const arg = load('docker-compose.gpu.yml').services['transcriber']?.build?.args?.['BASE_IMAGE'] ?? '';
    assert.equal(withDefaults(arg), dockerfileDefault);
  });

  for (const file of FILES)
    it(`${file}: \`run --rm transcriber doctor\` reaches the transcriber's own subcommand`, () => {
      const t = load(file).services['transcriber'] as Service;
      assert.deepEqual(t.entrypoint, ['node', 'dist/services/transcriber/src/main.js']);
      assert.ok(
        t.command?.every((a) => a.startsWith('--') || /^[\d.:]+$/.test(a)),
        'command is flags only',
      );
    });

  for (const file of FILES)
    it(`${file}: the gateway takes keys and TLS from .env under the names it reads`, () => {
      const c = load(file);
      const help = execFileSync(process.execPath, [`${ROOT}dist/services/gateway/src/main.js`, '--help'], {
        encoding: 'utf8',
      });
      const g = c.services['gateway'] as Service;
      for (const name of ['API_KEYS_FILE', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_CLIENT_CA_FILE', 'METRICS_AUTH']) {
        assert.match(g.environment?.[name] ?? '', /^\$\{GATEWAY_\w+:-/, `${name} from a GATEWAY_ variable`);
        assert.ok(help.includes(`[env ${name}]`), `the gateway reads ${name}`);
      }
      for (const name of Object.keys(g.environment ?? {}).filter((n) => !n.startsWith('HEALTHCHECK_')))
        assert.ok(help.includes(`[env ${name}]`), `the gateway reads ${name}`);
      assert.ok(
        g.volumes?.some((v) => v.endsWith(':/run/secrets/callscribe:ro')),
        'the secrets folder is mounted read-only',
      );
    });
});
