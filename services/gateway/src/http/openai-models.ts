import { status } from '@grpc/grpc-js';
import type { EngineInfo } from '#gen/callscribe/v1/transcript.js';
import { json, type HttpExchange, type Route } from './http-exchange.js';
import { HttpError } from './http-status.js';
import { invalidParam, openAiErrorBody } from './openai-errors.js';

/** The OpenAI name every SDK example uses: it means "this server's engine", whatever that is. */
export const MODEL_ALIAS = 'whisper-1';

// OpenAI's `created` is when the model was published; ours is when the gateway started.
const STARTED_SEC = Math.floor(Date.now() / 1000);

/** `sphinx/cmusphinx-en-us-5.2`, `whisperx/large-v2`: the engine's id in /v1/models. */
export const engineId = (e: EngineInfo): string => (e.model === '' ? e.backend : `${e.backend}/${e.model}`);

/** Every id the engines answer to: the alias, then each engine's id, backend and model name. */
export function modelIds(engines: readonly EngineInfo[]): string[] {
  const ids = new Set([MODEL_ALIAS]);
  for (const e of engines) for (const id of [engineId(e), e.backend, e.model]) if (id !== '') ids.add(id);
  return [...ids];
}

/** The ids GET /v1/models lists: the alias and one per distinct engine (its backend/model). */
function listedIds(engines: readonly EngineInfo[]): string[] {
  return [...new Set([MODEL_ALIAS, ...engines.map(engineId)])];
}

const modelObject = (id: string) => ({ id, object: 'model', created: STARTED_SEC, owned_by: 'callscribe' });

/**
 * Refuses a `model` that names none of the engines: the request would otherwise run on an engine the
 * caller did not ask for. The alias is checked without asking the transcribers.
 */
export async function checkModel(model: string | undefined, engines: () => Promise<EngineInfo[]>): Promise<void> {
  if (model === undefined || model === '' || model === MODEL_ALIAS) return;
  const ids = modelIds(await engines());
  if (!ids.includes(model))
    throw invalidParam('model', `model "${model}" is not served here; use one of ${ids.join(', ')} (GET /v1/models)`);
}

/** `GET /v1/models`: what OpenAI's `client.models.list()` reads. */
export const modelsRoute: Route = {
  method: 'GET',
  path: '/v1/models',
  upload: false,
  async handle(x: HttpExchange) {
    return json({ object: 'list', data: listedIds(await x.engines()).map(modelObject) });
  },
  errorBody: openAiErrorBody,
};

const MODEL_PREFIX = '/v1/models/';

/** `GET /v1/models/{id}`: any id the engines answer to (an id may hold a slash: `sphinx/cmusphinx-en-us-5.2`). */
export const modelRoute: Route = {
  method: 'GET',
  path: '/v1/models/{id}',
  matches: (path) => path.startsWith(MODEL_PREFIX) && path.length > MODEL_PREFIX.length,
  upload: false,
  async handle(x: HttpExchange) {
    const path = new URL(x.req.url ?? '/', 'http://gateway').pathname.replace(/\/+$/, '');
    const raw = path.slice(MODEL_PREFIX.length);
    let id = raw;
    try {
      id = decodeURIComponent(raw);
    } catch {
      // A malformed escape is just an id that does not exist.
    }
    const ids = modelIds(await x.engines());
    if (!ids.includes(id))
      throw Object.assign(
        new HttpError(404, status.NOT_FOUND, `the model "${id}" does not exist; this gateway serves ${ids.join(', ')}`),
        { param: 'model' },
      );
    return json(modelObject(id));
  },
  errorBody: openAiErrorBody,
};
