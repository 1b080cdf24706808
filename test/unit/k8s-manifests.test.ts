import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';

const DIR = fileURLToPath(new URL('../../../deploy/k8s/', import.meta.url));

// Each kind we ship, checked against the JSON schema kubernetes-models generated from Kubernetes' OpenAPI.
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'batch/v1/Job': Job,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
};

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  // biome-ignore lint/suspicious/noExplicitAny: a parsed manifest, checked against its schema below
  spec: any;
}

function loadManifests(): Manifest[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
        assert.deepEqual(doc.errors, [], `${file} is valid YAML`);
        return { file, ...(doc.toJS() as Omit<Manifest, 'file'>) };
      }),
    );
}

function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(m !== undefined, `${kind}/${name} is in deploy/k8s`);
  return m;
}

function validate(m: Manifest): void {
  const Model = MODELS[`${m.apiVersion}/${m.kind}`];
  assert.ok(Model !== undefined, `${m.file}: ${m.apiVersion} ${m.kind} has a schema here`);
  const { file: _file, ...data } = m;
  new Model(data as never).validate();
}

describe('deploy/k8s manifests', () => {
  const manifests = loadManifests();

  it('every document validates against the Kubernetes schema of its kind', () => {
    assert.ok(manifests.length >= 6);
    for (const m of manifests) assert.doesNotThrow(() => validate(m), `${m.file}: ${m.kind}/${m.metadata.name}`);
  });

  it('the validator rejects a manifest that breaks the schema', () => {
    const broken = structuredClone(find(manifests, 'Deployment', 'transcriber'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'fifty thousand';
    assert.throws(() => validate(broken), /containerPort/);
    const noSelector = structuredClone(find(manifests, 'Deployment', 'gateway'));
    delete noSelector.spec.selector;
    assert.throws(() => validate(noSelector), /selector/);
  });

  it('transcribers: one GPU per pod, ready from grpc health, found through a headless Service', () => {
    const deployment = find(manifests, 'Deployment', 'transcriber');
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0];
    assert.equal(container.resources.limits['nvidia.com/gpu'], 1);
    assert.equal(container.readinessProbe.grpc.port, 50052);
    assert.equal(container.readinessProbe.grpc.service, 'callscribe.v1.Transcriber');
    const service = find(manifests, 'Service', 'transcriber');
    assert.equal(service.spec.clusterIP, 'None', 'headless: DNS answers with every pod');
    assert.deepEqual(service.spec.selector, pod.metadata.labels);
    assert.deepEqual(deployment.spec.selector.matchLabels, pod.metadata.labels);
    const grace = Number(container.env.find((e: { name: string }) => e.name === 'SHUTDOWN_GRACE_MS').value);
    assert.ok(pod.spec.terminationGracePeriodSeconds * 1000 > grace, 'Kubernetes waits longer than the drain');
  });

  it('the gateway resolves the headless Service with dns:/// and is ready from its own health', () => {
    const pod = find(manifests, 'Deployment', 'gateway').spec.template;
    const container = pod.spec.containers[0];
    const args: string[] = container.args;
    const target = args[args.indexOf('--transcriber') + 1];
    const transcriberService = find(manifests, 'Service', 'transcriber');
    assert.equal(target, `dns:///${transcriberService.metadata.name}:${transcriberService.spec.ports[0].port}`);
    assert.equal(container.readinessProbe.grpc.port, 50051);
    assert.deepEqual(find(manifests, 'Service', 'gateway').spec.selector, pod.metadata.labels);
  });

  it('the loadgen Job runs N pods, each writing its own results folder on a shared volume', () => {
    const job = find(manifests, 'Job', 'loadgen');
    assert.ok(job.spec.parallelism > 1);
    const args: string[] = job.spec.template.spec.containers[0].args;
    assert.match(args[args.indexOf('--out') + 1] as string, /\$\(JOB_COMPLETION_INDEX\)/);
    assert.equal(args[args.indexOf('--target') + 1], 'gateway:50051');
    const claim = job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName;
    assert.deepEqual(find(manifests, 'PersistentVolumeClaim', claim).spec.accessModes, ['ReadWriteMany']);
  });
});
