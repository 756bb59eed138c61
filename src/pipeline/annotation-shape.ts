/**
 * A streaming shape check for `/annotation/item/{id}` answers (issue 9, item 6): fed the bytes as
 * they arrive, it holds only the current path, never a document, so a 500 MB answer costs the
 * client no more memory than a small one. The JSON grammar is @streamparser/json's (its token
 * parser with `keepStack: false` and no path emitted drops each value once complete); the shape
 * rules are ours: an array of objects, and where a document says `_elementQuery.returned = n`,
 * `annotation.elements` is an array of exactly n items.
 */
import { TokenParser, TokenType, Tokenizer } from '@streamparser/json';
import type { ParsedTokenInfo } from '@streamparser/json';
import { IntegrityError } from '../errors.js';

interface Frame {
  kind: 'array' | 'object';
  /** Object: the key of the member being read; array: the index of the next item. */
  key: string | number;
  /** Object only: the next string token is a key. */
  expectKey: boolean;
}

interface DocState {
  elements: number | null;
  returned: unknown;
}

export class AnnotationShapeCheck {
  readonly #label: string;
  readonly #tokenizer = new Tokenizer({ stringBufferSize: 64 * 1024 });
  // Emits nothing: the root is an array, so no value ever sits at key `-`.
  readonly #grammar = new TokenParser({ paths: ['$.-'], keepStack: false });
  readonly #frames: Frame[] = [];
  #doc: DocState | null = null;
  #docs = 0;
  #started = false;

  constructor(label: string) {
    this.#label = label;
    this.#tokenizer.onToken = (t) => {
      this.#grammar.write(t);
      this.#onToken(t);
    };
    // The token parser ends by itself after the root value; a stream cut short leaves it open.
    this.#tokenizer.onEnd = () => {
      if (!this.#grammar.isEnded) this.#grammar.end();
    };
    this.#grammar.onValue = () => undefined;
  }

  /** Feeds the next bytes; throws an IntegrityError as soon as they cannot be a valid answer. */
  write(chunk: Uint8Array): void {
    this.#guard(() => this.#tokenizer.write(chunk));
  }

  /** Ends the stream; returns the number of documents. */
  end(): number {
    this.#guard(() => this.#tokenizer.end());
    if (!this.#started) throw new IntegrityError(`${this.#label}: the annotation answer is empty`);
    return this.#docs;
  }

  #guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      if (err instanceof IntegrityError) throw err;
      throw new IntegrityError(`${this.#label}: the annotation answer is not valid JSON (${(err as Error).message})`);
    }
  }

  #path(): Array<string | number> {
    return this.#frames.map((f) => f.key);
  }

  #onToken({ token, value }: ParsedTokenInfo): void {
    const top = this.#frames.at(-1);
    if (token === TokenType.COLON) return;
    if (token === TokenType.COMMA) {
      if (top?.kind === 'object') top.expectKey = true;
      return;
    }
    if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) {
      this.#frames.pop();
      if (this.#frames.length === 1) this.#endDoc();
      this.#advance();
      return;
    }
    if (top?.kind === 'object' && top.expectKey && token === TokenType.STRING) {
      top.key = value as string;
      top.expectKey = false;
      return;
    }
    this.#onValue(token, value);
  }

  /** A value starts at the current path. */
  #onValue(token: TokenType, value: unknown): void {
    const path = this.#path();
    const opens = token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET;
    if (path.length === 0) {
      if (token !== TokenType.LEFT_BRACKET) throw new IntegrityError(`${this.#label}: the annotation answer is not a JSON array`);
      this.#started = true;
    } else if (path.length === 1) {
      if (token !== TokenType.LEFT_BRACE) throw new IntegrityError(`${this.#label}: annotation ${String(path[0])} is not an object`);
      this.#doc = { elements: null, returned: undefined };
    } else if (this.#doc !== null) {
      const [, a, b, c] = path;
      if (path.length === 3 && a === 'annotation' && b === 'elements') this.#doc.elements = token === TokenType.LEFT_BRACKET ? 0 : null;
      else if (path.length === 4 && a === 'annotation' && b === 'elements' && typeof c === 'number' && this.#doc.elements !== null) this.#doc.elements++;
      else if (path.length === 3 && a === '_elementQuery' && b === 'returned') this.#doc.returned = opens ? null : value;
    }
    if (opens) this.#frames.push({ kind: token === TokenType.LEFT_BRACE ? 'object' : 'array', key: 0, expectKey: token === TokenType.LEFT_BRACE });
    else this.#advance();
  }

  /** After a complete value inside an array, the next index. */
  #advance(): void {
    const top = this.#frames.at(-1);
    if (top?.kind === 'array') top.key = (top.key as number) + 1;
  }

  #endDoc(): void {
    const doc = this.#doc;
    const i = this.#docs;
    this.#doc = null;
    this.#docs++;
    if (doc === null || typeof doc.returned !== 'number') return;
    if (doc.elements === null) throw new IntegrityError(`${this.#label}: annotation ${i} has no element list but _elementQuery.returned = ${doc.returned}`);
    if (doc.elements !== doc.returned) {
      throw new IntegrityError(`${this.#label}: annotation ${i} has ${doc.elements} elements but _elementQuery.returned = ${doc.returned}`, {
        expected: String(doc.returned),
        actual: String(doc.elements),
      });
    }
  }
}

/** The whole check on a complete text (tests, small answers). Returns the number of documents. */
export function checkAnnotationText(text: string | Uint8Array, label: string): number {
  const check = new AnnotationShapeCheck(label);
  check.write(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  return check.end();
}
