/** What the generated conversations say: short contact-centre clauses and backchannels. */
export const LINES = [
  'Thank you for calling, how can I help?',
  'I have a problem with my last bill.',
  'Can you give me the account number?',
  'It is four five six seven eight.',
  'Thanks, one moment while I look that up.',
  'I was charged twice for the same order.',
  'I can see that, I am sorry about it.',
  'When will I get the money back?',
  'Within three to five working days.',
  'Could you also update my phone number?',
  'Sure, what is the new number?',
  'Oh, and the address changed too.',
  'No problem, I will change both now.',
  'Is there a fee for that?',
  'No, there is no fee at all.',
  'That is good to hear.',
  'Let me just confirm your date of birth.',
  'The second of March, nineteen ninety.',
  'Perfect, that all matches.',
  'My internet keeps dropping in the evening.',
  'Have you tried restarting the router?',
  'Yes, twice, and it did not help.',
  'I will book an engineer for Thursday.',
  'Morning or afternoon would suit you?',
  'The afternoon is better for me.',
  'Great, you will get a text to confirm.',
  'Anything else I can do for you today?',
  'No, I think that covers everything.',
  'Then have a lovely day, goodbye.',
  'Wait, one more thing about the refund.',
  'Will it go back to the same card?',
  'Yes, the card you paid with.',
] as const;

/** Under a second each: the listener's short replies that real calls are full of. */
export const BACKCHANNELS = ['yeah', 'mm hmm', 'okay', 'right', 'sure', 'I see', 'yes', 'uh huh'] as const;

export interface VoiceSpec {
  /** espeak-ng voice, e.g. en-us+f3. */
  voice: string;
  /** espeak-ng -p, 0-99. */
  pitch: number;
  /** espeak-ng -s, words per minute. */
  wordsPerMinute: number;
}

/**
 * Voice variants split in two disjoint pools, so the held-out set has voices the dev set never had.
 * Same-sex pairs are drawn on purpose: pitch alone must not be what tells speakers apart.
 */
export const VOICE_POOLS: Record<'dev' | 'test', { female: string[]; male: string[] }> = {
  dev: {
    female: ['f1', 'f3', 'f5', 'Annie', 'Andrea', 'steph', 'anika'],
    male: ['m1', 'm3', 'm5', 'm7', 'Adam', 'Andy', 'john', 'paul', 'rob'],
  },
  test: {
    female: ['f2', 'f4', 'Alicia', 'belinda', 'linda', 'steph2'],
    male: ['m2', 'm4', 'm6', 'Alex', 'david', 'edward', 'max', 'Mike', 'robert'],
  },
};
