/**
 * Where a JSON text first breaks the grammar (RFC 8259), and what was expected
 * there. JSON.parse() says neither reliably: Node 20's messages often carry no
 * position and quote the input itself (many lines of it). This is only run
 * after JSON.parse() has failed, so it favours a clear message over speed.
 * Iterative (an explicit container stack), so deep nesting cannot overflow
 * the call stack.
 */

export interface JsonSyntaxError {
  /** UTF-16 offset into the text. */
  readonly offset: number;
  /** "expected …, got …", without any input beyond the offending character. */
  readonly message: string;
}

/** One character, shown safely: 'x' for printable ASCII, U+XXXX otherwise. */
function describeAt(text: string, i: number): string {
  if (i >= text.length) return 'the end of the input';
  const cp = text.codePointAt(i)!;
  if (cp >= 0x21 && cp < 0x7f) return `'${String.fromCharCode(cp)}'`;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** The first syntax error in `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const n = text.length;
  let i = 0;
  /** Open containers: true = object, false = array. */
  const stack: boolean[] = [];
  const fail = (expected: string, at = i): JsonSyntaxError => ({
    offset: at,
    message: `expected ${expected}, got ${describeAt(text, at)}`,
  });
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  /** A string starting at the '"' at i; returns an error or advances past it. */
  const str = (): JsonSyntaxError | undefined => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return fail('a character or an escape (control characters must be escaped in a string)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          for (let k = 2; k < 6; k++)
            if (!isHex(text.charCodeAt(i + k))) return fail('4 hex digits after \\u', i + k);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', i + 1);
        continue;
      }
      i++;
    }
    return fail("a closing '\"'");
  };
  const num = (): JsonSyntaxError | undefined => {
    if (text.charCodeAt(i) === 0x2d) i++;
    if (text.charCodeAt(i) === 0x30) i++;
    else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
    else return fail('a digit');
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(text.charCodeAt(i))) return fail('a digit after the decimal point');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = text.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) return fail('a digit in the exponent');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    return undefined;
  };

  type State = 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'after';
  let state: State = 'value';
  for (;;) {
    ws();
    if (state === 'after') {
      if (stack.length === 0) return i < n ? fail('the end of the input') : undefined;
      const obj = stack[stack.length - 1]!;
      const c = text[i];
      if (c === ',') {
        i++;
        state = obj ? 'key' : 'value';
      } else if (c === (obj ? '}' : ']')) {
        i++;
        stack.pop();
      } else return fail(obj ? "',' or '}' after a property value" : "',' or ']' after an array element");
      continue;
    }
    if (state === 'key' || state === 'keyOrClose') {
      if (state === 'keyOrClose' && text[i] === '}') {
        i++;
        stack.pop();
        state = 'after';
        continue;
      }
      if (text[i] !== '"')
        return fail(
          state === 'keyOrClose' ? 'a "quoted" property name or \'}\'' : 'a "quoted" property name',
        );
      const e = str();
      if (e) return e;
      ws();
      if (text[i] !== ':') return fail("':' after a property name");
      i++;
      state = 'value';
      continue;
    }
    // a value (or, right after '[', the ']' of an empty array)
    if (state === 'valueOrClose' && text[i] === ']') {
      i++;
      stack.pop();
      state = 'after';
      continue;
    }
    const c = text[i];
    if (c === '{') {
      i++;
      stack.push(true);
      state = 'keyOrClose';
      continue;
    }
    if (c === '[') {
      i++;
      stack.push(false);
      state = 'valueOrClose';
      continue;
    }
    let e: JsonSyntaxError | undefined;
    if (c === '"') e = str();
    else if (c === '-' || (c !== undefined && isDigit(c.charCodeAt(0)))) e = num();
    else {
      const lit = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
      if (lit) i += lit.length;
      else
        e = fail(
          state === 'valueOrClose'
            ? "a value or ']'"
            : 'a value (object, array, "string", number, true, false or null)',
        );
    }
    if (e) return e;
    state = 'after';
  }
}
