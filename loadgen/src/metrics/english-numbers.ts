/**
 * Spelled-out English numbers to digits, the way Whisper's EnglishNumberNormalizer writes them, so
 * "two hundred dollars" and "$200" score as the same word: "twenty five" → "25", "one point five"
 * → "1.5", "fifty percent" → "50%", "twenty first" → "21st", "five five five" → "555",
 * "3 million" → "3000000". Works on lower-case words with punctuation already split off.
 */
const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TEENS = [
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const MULTIPLIERS: Record<string, number> = { hundred: 100, thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 };
const ORDINALS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
  thirteenth: 13,
  fourteenth: 14,
  fifteenth: 15,
  sixteenth: 16,
  seventeenth: 17,
  eighteenth: 18,
  nineteenth: 19,
  twentieth: 20,
  thirtieth: 30,
  fortieth: 40,
  fiftieth: 50,
  sixtieth: 60,
  seventieth: 70,
  eightieth: 80,
  ninetieth: 90,
  hundredth: 100,
  thousandth: 1000,
};
const CURRENCY_AFTER: Record<string, string> = {
  dollar: '$',
  dollars: '$',
  pound: '£',
  pounds: '£',
  euro: '€',
  euros: '€',
  cent: '¢',
  cents: '¢',
};

type Kind = 'small' | 'tens' | 'multiplier';

function wordValue(w: string): { value: number; kind: Kind } | undefined {
  const ones = ONES.indexOf(w);
  if (ones >= 0) return { value: ones, kind: 'small' };
  const teens = TEENS.indexOf(w);
  if (teens >= 0) return { value: 10 + teens, kind: 'small' };
  const tens = TENS.indexOf(w);
  if (tens >= 2) return { value: tens * 10, kind: 'tens' };
  return undefined;
}

const ordinalSuffix = (n: number) =>
  n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
const DIGITS = /^(\d+)(\.\d+)?$/;

/** One number read from `words` at `start`: its text and how many words it took, or undefined. */
function readNumber(words: string[], start: number): { text: string; used: number } | undefined {
  let total = 0;
  let current = 0;
  let text = ''; // digits already fixed by concatenation ("five five" → "55")
  let group = false; // whether total/current hold a group not yet in `text`
  let last: Kind | 'digits' | undefined;
  let i = start;
  const value = () => text + (group ? String(total + current) : '');
  for (; i < words.length; i++) {
    const w = words[i] as string;
    const spelled = wordValue(w);
    const digits = DIGITS.exec(w);
    if (spelled !== undefined) {
      const joins =
        last === undefined ||
        last === 'multiplier' ||
        (last === 'tens' && spelled.kind === 'small' && spelled.value < 10 && current % 10 === 0);
      if (!joins) {
        // A new group right after a complete one reads as more digits: "nineteen ninety", "five five".
        text = value();
        total = 0;
        current = 0;
      }
      current += spelled.value;
      group = true;
      last = spelled.kind;
    } else if (digits !== null && last === undefined) {
      if (digits[2] !== undefined) return { text: w, used: 1 };
      current = Number(digits[1]);
      group = true;
      last = 'digits';
    } else if (w in MULTIPLIERS && last !== undefined && text === '') {
      const m = MULTIPLIERS[w] as number;
      if (m === 100) current = (current || 1) * 100;
      else {
        total += (current || 1) * m;
        current = 0;
      }
      last = 'multiplier';
    } else if (w === 'and' && last === 'multiplier' && wordValue(words[i + 1] ?? '') !== undefined) {
      continue;
    } else if (w === 'point' && last !== undefined && wordValue(words[i + 1] ?? '')?.kind === 'small') {
      let decimals = '';
      for (i++; i < words.length && (wordValue(words[i] as string)?.value ?? 10) < 10; i++)
        decimals += String(wordValue(words[i] as string)?.value);
      return { text: `${value()}.${decimals}`, used: i - start };
    } else if (w in ORDINALS && (last === 'tens' || last === 'multiplier')) {
      const n = total + current + (ORDINALS[w] as number);
      return { text: `${text}${n}${ordinalSuffix(n)}`, used: i - start + 1 };
    } else break;
  }
  return last === undefined ? undefined : { text: value(), used: i - start };
}

export function standardizeNumbers(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; ) {
    const w = words[i] as string;
    // "$20 million": a currency symbol before digits travels with the number.
    const prefix = /^[$£€]/.test(w) && /\d/.test(w.slice(1)) ? w[0] : '';
    const n = readNumber(prefix === '' ? words : [w.slice(1), ...words.slice(i + 1)], prefix === '' ? i : 0);
    if (n === undefined) {
      const ordinal = ORDINALS[w];
      // "first" and "second" are too often not numbers ("first of all", "just a second").
      out.push(ordinal !== undefined && ordinal > 2 ? `${ordinal}${ordinalSuffix(ordinal)}` : w);
      i++;
      continue;
    }
    i += n.used;
    const next = words[i] ?? '';
    if (prefix !== '') out.push(prefix + n.text);
    else if (next in CURRENCY_AFTER) {
      out.push((CURRENCY_AFTER[next] as string) + n.text);
      i++;
    } else if (next === 'percent' || (next === 'per' && words[i + 1] === 'cent')) {
      out.push(`${n.text}%`);
      i += next === 'per' ? 2 : 1;
    } else out.push(n.text);
  }
  return out;
}
