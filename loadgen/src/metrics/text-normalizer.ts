import { standardizeNumbers } from './english-numbers.js';

/**
 * English text normalisation for WER, after Whisper's EnglishTextNormalizer (the convention of the
 * Open ASR Leaderboard): lower case; bracketed and parenthesised asides and hesitations (um, uh,
 * hmm) dropped; contractions spelled out; diacritics folded (café → cafe) while letters of every
 * script stay letters (привет stays привет); punctuation and symbols become spaces except where
 * they are part of a number; spelled numbers become digits ($200 = two hundred dollars, 50% = fifty
 * percent). Not done: Whisper's table of British → American spellings.
 */
const CONTRACTIONS: Array<[RegExp, string]> = [
  [/\bwon't\b/g, 'will not'],
  [/\bcan't\b/g, 'can not'],
  [/\blet's\b/g, 'let us'],
  [/\bain't\b/g, 'aint'],
  [/\by'all\b/g, 'you all'],
  [/n't\b/g, ' not'],
  [/'re\b/g, ' are'],
  [/'ll\b/g, ' will'],
  [/'ve\b/g, ' have'],
  [/'m\b/g, ' am'],
  [/'d\b/g, ' would'],
  [/\bmr\b\.?/g, 'mister '],
  [/\bmrs\b\.?/g, 'missus '],
  [/\bdr\b\.?/g, 'doctor '],
  [/\bst\b\.?/g, 'saint '],
];
// Letters that NFKD does not take apart into a base letter and a mark.
const FOLDED: Record<string, string> = { œ: 'oe', æ: 'ae', ø: 'o', ß: 'ss', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };
const KEEP = new Set(['.', '%', '$', '¢', '€', '£']);

function foldSymbolsAndDiacritics(s: string): string {
  let out = '';
  for (const c of s.normalize('NFKD')) {
    if (KEEP.has(c)) out += c;
    else if (c in FOLDED) out += FOLDED[c];
    else if (/\p{Mn}/u.test(c)) continue;
    else if (/[\p{M}\p{S}\p{P}]/u.test(c)) out += ' ';
    else out += c;
  }
  return out;
}

export function normalizeEnglish(text: string): string[] {
  let s = text.toLowerCase().replace(/’/g, "'");
  s = s.replace(/[<[][^>\]]*[>\]]/g, ' ').replace(/\(([^)]+?)\)/g, ' ');
  s = s.replace(/\b(hmm|mm|mhm|mmm|uh|um)\b/g, ' ');
  s = s.replace(/\s+'/g, "'");
  for (const [pattern, replacement] of CONTRACTIONS) s = s.replace(pattern, replacement);
  s = s.replace(/(\d),(\d)/g, '$1$2'); // 1,000 → 1000
  s = s.replace(/\.([^0-9]|$)/g, ' $1'); // a full stop, not a decimal point
  s = foldSymbolsAndDiacritics(s);
  const words = standardizeNumbers(s.split(/\s+/).filter((w) => w.length > 0)).join(' ');
  return words
    .replace(/[.$¢€£]([^0-9]|$)/g, ' $1') // symbols left without a number
    .replace(/([^0-9]|^)%/g, '$1 ')
    .replace(/(^|\s)1(s?)(?=\s|$)/g, '$1one$2') // Whisper writes a lone 1 as "one" for readability
    .split(/\s+/)
    .filter((w) => w.length > 0);
}
