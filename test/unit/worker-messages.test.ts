import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseReply,
  replyTypes,
  requestTypes,
  WorkerProtocolError,
  type DiarizeRequest,
  type TranscribeRequest,
  type WorkerRequest,
} from '../../services/transcriber/src/engine/worker-messages.js';
import {
  conforms,
  loadDescription,
  messageType,
  sample,
  samples,
  wrongTypes,
} from '../support/protocol-description.js';

const description = loadDescription();
const types = (group: typeof description.replies) => [...new Set([...group.values()].map(messageType))].sort();

describe('worker messages: the TypeScript side and services/transcriber/worker/protocol.json agree', () => {
  it('knows exactly the message types the description lists, both ways', () => {
    assert.deepEqual(Object.keys(replyTypes).sort(), types(description.replies));
    assert.deepEqual(Object.keys(requestTypes).sort(), types(description.requests));
  });

  it('accepts every reply built from the description, each union alternative included, keeping every field', () => {
    let checked = 0;
    for (const [name, message] of description.replies)
      for (const header of samples(message)) {
        assert.deepEqual(parseReply(header), header, name);
        checked++;
      }
    // Each union's alternatives too: an error with a null id, every item error code.
    assert.ok(checked > description.replies.size, `${checked} samples tried`);
  });

  it('rejects a reply with any one field of the wrong type, naming that field', () => {
    let checked = 0;
    for (const [name, message] of description.replies) {
      const type = messageType(message);
      for (const { path, value } of wrongTypes(message, sample(message))) {
        // The field itself, or one inside it (an empty object in place of the engine misses its backend).
        const field = path === 'type' ? 'field type' : `field ${type}.${path}`;
        const names = (m: string) => m.includes(`${field} `) || m.includes(`${field}.`) || m.includes(`${field}[`);
        assert.throws(
          () => parseReply(value),
          (e: unknown) => e instanceof WorkerProtocolError && names(e.message),
          `${name}: ${path} = ${JSON.stringify(value)}`,
        );
        checked++;
      }
    }
    // Every field of every reply, nested ones included (a guard against the generator finding nothing).
    assert.ok(checked > 200, `${checked} wrong fields tried`);
  });

  it('rejects a reply missing any one field', () => {
    for (const [name, message] of description.replies) {
      const header = sample(message) as Record<string, unknown>;
      for (const [field] of message.fields) {
        const { [field]: _, ...rest } = header;
        assert.throws(() => parseReply(rest), WorkerProtocolError, `${name} without ${field}`);
      }
    }
  });

  it('ignores fields it does not know, as the description allows', () => {
    const ready = description.replies.get('ready');
    assert.ok(ready !== undefined);
    const header = sample(ready) as Record<string, unknown>;
    assert.deepEqual(parseReply({ ...header, later: 1 }), header);
  });

  it('rejects a header that is not an object, and a result that is neither kind', () => {
    assert.throws(() => parseReply([1]), /field header should be an object/);
    assert.throws(() => parseReply({ type: 'result', id: 1, elapsedMs: 2 }), /result\.items or result\.turns/);
  });

  it('sends requests of exactly the shape the description gives', () => {
    const transcribe: TranscribeRequest = {
      type: 'transcribe',
      id: 1,
      wordTimestamps: true,
      items: [
        { samples: 16000, language: 'en', prompt: 'Acme, Zendesk', temperature: 0 },
        { samples: 0, language: '', prompt: '', temperature: 0.4 },
      ],
    };
    const diarize: DiarizeRequest = { type: 'diarize', id: 2, regions: [[0.5, 2.25]], minSpeakers: 0, maxSpeakers: 2 };
    const requests: WorkerRequest[] = [transcribe, diarize];
    for (const request of requests) {
      const message = description.requests.get(request.type);
      assert.ok(message !== undefined, request.type);
      assert.ok(conforms(message, request), JSON.stringify(request));
    }
    assert.ok(!conforms(description.requests.get('diarize') ?? { kind: 'null' }, { ...diarize, regions: [[1]] }));
  });
});
