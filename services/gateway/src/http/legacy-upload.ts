import { DiarizationMode, TranscriptionConfig } from '#gen/callscribe/v1/audio.js';
import { invalidArgument } from '#common/service-error.js';
import { json, type HttpExchange, type Route } from './http-exchange.js';
import { legacyResponse } from './legacy-shape.js';
import { readUpload } from './multipart-upload.js';
import { transcribeUpload } from './transcribe-upload.js';

function diarizationHeader(value: string | string[] | undefined): boolean {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase() ?? '';
  if (raw === '' || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  throw invalidArgument(`header diarization must be true or false, got "${raw}"`);
}

/**
 * `POST /asr/upload_file`, as the WhisperX FastAPI server took it: multipart field `file`, header
 * `diarization: true|false`. The file streams to the transcriber as it arrives. Diarization is AUTO:
 * a stereo call is split by channel (exact and free), a mono one goes to the diarizer.
 */
export const legacyUploadRoute: Route = {
  method: 'POST',
  path: '/asr/upload_file',
  upload: true,
  async handle(x: HttpExchange) {
    const diarization = diarizationHeader(x.req.headers['diarization']);
    const upload = readUpload(x.req, x.maxUploadBytes, x.signal);
    const file = await upload.file;
    if (file === undefined)
      throw invalidArgument('the form has no field named "file"; send the audio as -F "file=@call.wav"');
    const config = TranscriptionConfig.fromPartial({
      diarization: diarization ? DiarizationMode.AUTO : DiarizationMode.NONE,
      channelLabels: diarization ? ['SPEAKER_00', 'SPEAKER_01'] : [],
      requestTag: `http:${file.filename}`,
    });
    try {
      const { segments, final } = await transcribeUpload(config, file.stream, x.transcriber(), x.signal, x.deadline);
      await upload.fields;
      return json(legacyResponse(segments, final, diarization, (performance.now() - x.startedAt) / 1000));
    } finally {
      file.stream.destroy();
    }
  },
  // FastAPI's error shape, which the old clients already read.
  errorBody: (failure) => JSON.stringify({ detail: failure.message, code: failure.code }),
};
