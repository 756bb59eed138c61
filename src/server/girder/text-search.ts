/**
 * A stand-in for MongoDB's `$text` search over name and description: case-insensitive, words
 * split on anything not a letter or digit, a document matches when it contains any search word.
 * (MongoDB also stems words and ranks by score; neither matters for the clients we imitate.)
 */
export function textMatches(query: string, ...fields: string[]): boolean {
  const words = (s: string): string[] => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
  const terms = words(query);
  if (terms.length === 0) return false;
  const have = new Set(fields.flatMap(words));
  return terms.some((t) => have.has(t));
}
