import { invalidArgument } from './service-error.js';

/**
 * The languages Whisper transcribes, by the code its tokenizer uses (`<|en|>`): openai/whisper
 * whisper/tokenizer.py LANGUAGES, which faster-whisper and transformers copy. `yue` came with large-v3.
 */
export const WHISPER_LANGUAGES: ReadonlyMap<string, string> = new Map([
  ['en', 'english'],
  ['zh', 'chinese'],
  ['de', 'german'],
  ['es', 'spanish'],
  ['ru', 'russian'],
  ['ko', 'korean'],
  ['fr', 'french'],
  ['ja', 'japanese'],
  ['pt', 'portuguese'],
  ['tr', 'turkish'],
  ['pl', 'polish'],
  ['ca', 'catalan'],
  ['nl', 'dutch'],
  ['ar', 'arabic'],
  ['sv', 'swedish'],
  ['it', 'italian'],
  ['id', 'indonesian'],
  ['hi', 'hindi'],
  ['fi', 'finnish'],
  ['vi', 'vietnamese'],
  ['he', 'hebrew'],
  ['uk', 'ukrainian'],
  ['el', 'greek'],
  ['ms', 'malay'],
  ['cs', 'czech'],
  ['ro', 'romanian'],
  ['da', 'danish'],
  ['hu', 'hungarian'],
  ['ta', 'tamil'],
  ['no', 'norwegian'],
  ['th', 'thai'],
  ['ur', 'urdu'],
  ['hr', 'croatian'],
  ['bg', 'bulgarian'],
  ['lt', 'lithuanian'],
  ['la', 'latin'],
  ['mi', 'maori'],
  ['ml', 'malayalam'],
  ['cy', 'welsh'],
  ['sk', 'slovak'],
  ['te', 'telugu'],
  ['fa', 'persian'],
  ['lv', 'latvian'],
  ['bn', 'bengali'],
  ['sr', 'serbian'],
  ['az', 'azerbaijani'],
  ['sl', 'slovenian'],
  ['kn', 'kannada'],
  ['et', 'estonian'],
  ['mk', 'macedonian'],
  ['br', 'breton'],
  ['eu', 'basque'],
  ['is', 'icelandic'],
  ['hy', 'armenian'],
  ['ne', 'nepali'],
  ['mn', 'mongolian'],
  ['bs', 'bosnian'],
  ['kk', 'kazakh'],
  ['sq', 'albanian'],
  ['sw', 'swahili'],
  ['gl', 'galician'],
  ['mr', 'marathi'],
  ['pa', 'punjabi'],
  ['si', 'sinhala'],
  ['km', 'khmer'],
  ['sn', 'shona'],
  ['yo', 'yoruba'],
  ['so', 'somali'],
  ['af', 'afrikaans'],
  ['oc', 'occitan'],
  ['ka', 'georgian'],
  ['be', 'belarusian'],
  ['tg', 'tajik'],
  ['sd', 'sindhi'],
  ['gu', 'gujarati'],
  ['am', 'amharic'],
  ['yi', 'yiddish'],
  ['lo', 'lao'],
  ['uz', 'uzbek'],
  ['fo', 'faroese'],
  ['ht', 'haitian creole'],
  ['ps', 'pashto'],
  ['tk', 'turkmen'],
  ['nn', 'nynorsk'],
  ['mt', 'maltese'],
  ['sa', 'sanskrit'],
  ['lb', 'luxembourgish'],
  ['my', 'myanmar'],
  ['bo', 'tibetan'],
  ['tl', 'tagalog'],
  ['mg', 'malagasy'],
  ['as', 'assamese'],
  ['tt', 'tatar'],
  ['haw', 'hawaiian'],
  ['ln', 'lingala'],
  ['ha', 'hausa'],
  ['ba', 'bashkir'],
  ['jw', 'javanese'],
  ['su', 'sundanese'],
  ['yue', 'cantonese'],
]);

/**
 * BCP-47 primary subtags whose Whisper code differs: deprecated ISO 639 codes still seen in the wild
 * (iw, in, ji, mo), macrolanguage members (nb), Filipino (fil, spoken as Tagalog), and Javanese,
 * which Whisper's tokenizer spells `jw`.
 */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['iw', 'he'],
  ['in', 'id'],
  ['ji', 'yi'],
  ['mo', 'ro'],
  ['nb', 'no'],
  ['fil', 'tl'],
  ['jv', 'jw'],
]);

/** "und" (undetermined) asks for detection, like an empty tag. */
const DETECT = new Set(['', 'und']);
const BCP47 = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

/**
 * The Whisper code for a BCP-47 tag (`en-US` → `en`, `pt-BR` → `pt`, `zh-Hant-TW` → `zh`,
 * `zh-yue`/`yue-HK` → `yue`, `EN` → `en`), or "" when the caller asked for detection (an empty tag).
 * Throws INVALID_ARGUMENT, naming the tag, for a malformed tag or a language Whisper does not know.
 */
export function whisperLanguage(tag: string): string {
  // RFC 5646 asks implementations to take tags of at least 35 characters; past that it is not a tag.
  if (tag.length > 64) throw invalidArgument(`language is ${tag.length} characters long; a BCP-47 tag is at most 64`);
  const trimmed = tag.trim();
  if (DETECT.has(trimmed.toLowerCase())) return '';
  if (!BCP47.test(trimmed))
    throw invalidArgument(`language ${JSON.stringify(tag)} is not a BCP-47 tag (for example "en-US"; empty to detect)`);
  const subtags = trimmed.toLowerCase().split('-');
  const primary = subtags[0] as string;
  // Cantonese is the extended language subtag of Chinese in the long form (zh-yue).
  if (primary === 'zh' && subtags[1] === 'yue') return 'yue';
  const code = ALIASES.get(primary) ?? primary;
  if (!WHISPER_LANGUAGES.has(code))
    throw invalidArgument(`language ${JSON.stringify(tag)} is not one Whisper transcribes`);
  return code;
}

/**
 * Throws INVALID_ARGUMENT when the engine cannot transcribe `code`. `engineLanguages` is the
 * worker's `languages` (["*"] for multilingual models, ["en"] for sphinx or `*.en` models); an
 * empty code (detect) is always accepted: the engine reports what it detected.
 */
export function checkEngineLanguage(code: string, engineLanguages: readonly string[], backend = 'this engine'): void {
  if (code === '' || engineLanguages.includes('*') || engineLanguages.includes(code)) return;
  const name = WHISPER_LANGUAGES.get(code) ?? code;
  throw invalidArgument(
    `${backend} does not transcribe ${name} (${code}); it supports: ${engineLanguages.join(', ') || 'nothing'}`,
  );
}

/** Both steps at the transcriber's edge: the Whisper code (or "" to detect) this engine can take. */
export function normaliseLanguage(tag: string, engineLanguages: readonly string[], backend?: string): string {
  const code = whisperLanguage(tag);
  checkEngineLanguage(code, engineLanguages, backend);
  return code;
}
