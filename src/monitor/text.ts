/**
 * Text descriptors: what a drift test can compare for a column of mostly unique strings (free text, where
 * comparing the values themselves says nothing). After Evidently's text descriptors (TextLength,
 * WordCount, NonLetterCharacterPercentage, and OOV through the word table): each value is described by
 * its length in characters, its number of words and its share of characters that are neither letters nor
 * white space; the words themselves are counted in a vocabulary table. ../profile keeps these as
 * mergeable column profiles (`TextSummary`), and ./tests/text tests them with the numeric and
 * categorical drift tests.
 *
 * Words are maximal runs of Unicode letters and digits, lower-cased ("Don't stop" → don, t, stop).
 * Characters are Unicode code points.
 */

const WORD = /[\p{L}\p{N}]+/gu;
const LETTER_OR_SPACE = /[\p{L}\s]/gu;

/** Length in Unicode code points (a surrogate pair is one character). */
export function characterCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/** The words of a text, lower-cased, in order. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** Share of the characters that are neither letters nor white space (digits, punctuation, symbols); 0 for "". */
export function nonLetterShare(text: string): number {
  const total = characterCount(text);
  if (total === 0) return 0;
  return characterCount(text.replace(LETTER_OR_SPACE, "")) / total;
}
