import { createToken, Lexer, type IToken, type TokenType } from "chevrotain";

/**
 * Tokens of the .seer language. Every token has a LABEL in the user's terms, because parser
 * messages are built from labels ("expected `=`"), never from token-type names.
 */

// Units a number can carry. Written attached (`224px`, `10%`) or after a space on the same line
// (`8000 steps`). The unit is part of the number's token so that a unit word on the *next* line
// (a field called `images`, say) is never swallowed by the number before it.
export const UNIT_WORDS = [
  "steps", "step", "epochs", "epoch", "images", "image", "devices", "device",
  "px", "GiB", "GB", "MiB", "MB", "KiB", "KB", "TiB", "TB", "%",
] as const;
export type UnitWord = (typeof UNIT_WORDS)[number];

/** Count suffixes: `16k` = 16,000; `1.2M`; `1B` = 10^9. */
export const COUNT_SUFFIXES: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, B: 1e9, T: 1e12 };

const unitAlternation = UNIT_WORDS.map((u) => u.replace("%", "%")).join("|");
const digits = String.raw`(?:\d[\d_]*(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?`;
// Either a unit attached to the digits (`224px`, `10%`, `32GB`) or an optional count suffix and a
// unit after spaces (`1B images`, `8000 steps`) — never both.
const numberPattern = new RegExp(
  String.raw`${digits}(?:(?:px|%|GiB|GB|MiB|MB|KiB|KB|TiB|TB)(?![A-Za-z0-9_])|(?:[kKMBT](?![A-Za-z0-9_]))?(?:[ \t]+(?:${unitAlternation})(?![A-Za-z0-9_]))?)`,
  "y",
);

export const Newline = createToken({ name: "Newline", pattern: /\r?\n/, label: "end of line", line_breaks: true });
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\f\uFEFF]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*|#[^\n\r]*/, group: "comments", label: "comment" });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: "comments", line_breaks: true, label: "comment" });
// An unterminated block comment or string becomes one token so the error is reported once, at its start.
export const UnterminatedBlockComment = createToken({ name: "UnterminatedBlockComment", pattern: /\/\*[\s\S]*/, line_breaks: true, label: "unterminated comment" });
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: "a string" });
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\n\r]|\\.)*/, label: "unterminated string" });

export const NumberLiteral = createToken({
  name: "NumberLiteral",
  label: "a number",
  pattern: { exec: (text: string, offset: number) => {
    numberPattern.lastIndex = offset;
    return numberPattern.exec(text);
  } },
  line_breaks: false,
  start_chars_hint: [..."0123456789."],
});

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

function keyword(word: string, name: string): TokenType {
  return createToken({ name, pattern: new RegExp(`${word}(?![A-Za-z0-9_])`), longer_alt: Identifier, label: `\`${word}\`` });
}
export const Import = keyword("import", "Import");
export const Experiment = keyword("experiment", "Experiment");
export const Preset = keyword("preset", "Preset");
export const Sweep = keyword("sweep", "Sweep");
export const From = keyword("from", "From");
export const Extends = keyword("extends", "Extends");
export const In = keyword("in", "In");
export const True = keyword("true", "True");
export const False = keyword("false", "False");
export const Then = keyword("then", "Then");
export const Per = keyword("per", "Per");
// `x` is the cross/multiplier sign in `2 x 224px`, `16 per device x 512 devices` and `x0.1 at 30 epochs`.
// It is never the start of a name: `x0.1` reads as `x 0.1`, and no name may be `x` followed by digits.
export const Cross = createToken({ name: "Cross", pattern: /x(?![A-Za-z_])|×/, label: "`x`" });

export const Arrow = createToken({ name: "Arrow", pattern: /->|→/, label: "`->`" });
export const DotDot = createToken({ name: "DotDot", pattern: /\.\./, label: "`..`" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "`.`" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "`=`" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "`:`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "`,`" });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/, label: "`;`" });
export const LCurly = createToken({ name: "LCurly", pattern: /\{/, label: "`{`" });
export const RCurly = createToken({ name: "RCurly", pattern: /\}/, label: "`}`" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "`[`" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "`]`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "`)`" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "`+`" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "`-`" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "`*`" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "`/`" });

export const allTokens: TokenType[] = [
  Newline, WhiteSpace, BlockComment, UnterminatedBlockComment, LineComment,
  StringLiteral, UnterminatedString, NumberLiteral,
  Import, Experiment, Preset, Sweep, From, Extends, In, True, False, Then, Per, Cross,
  Identifier,
  Arrow, DotDot, Dot, Equals, Colon, Comma, Semicolon, LCurly, RCurly, LBracket, RBracket, LParen, RParen,
  Plus, Minus, Star, Slash,
];

export const KEYWORDS = ["import", "experiment", "preset", "sweep", "from", "extends", "in", "true", "false", "then", "per", "x"];

/**
 * `validate`: run Chevrotain's checks of the token definitions (unreachable or overlapping patterns);
 * the tests do (test/language), the CLI skips them, about a tenth of `seerc check`'s start-up.
 */
export function createSeerLexer(validate = false): Lexer {
  return new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false, skipValidations: !validate });
}

export const seerLexer = createSeerLexer();

/** After these tokens a line break continues the statement instead of ending it. */
const CONTINUES_AFTER = new Set<TokenType>([Equals, Colon, Comma, Arrow, DotDot, Plus, Minus, Star, Slash, Cross, Then, Per, In, From, Extends, LCurly, LBracket, LParen, Newline]);
/** Before these tokens a line break is not a separator (`..., \n then cosine`). */
const CONTINUES_BEFORE = new Set<TokenType>([Then, Arrow, DotDot, RCurly, RBracket, RParen]);

/**
 * Line breaks separate statements, but only where a statement could end: inside () and [],
 * after an operator, or before `then`/`->`/closing brackets they are dropped. This keeps the
 * grammar free of newline noise while `seed = 0` on one line and `data {…}` on the next stay apart.
 * A line that starts like an assignment (`name =`, `a.b in`) always starts a new statement, so a
 * dangling operator or an unclosed bracket is reported where it is instead of swallowing the next line.
 */
export function significantNewlines(tokens: IToken[]): IToken[] {
  const out: IToken[] = [];
  const open: TokenType[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    const type = tok.tokenType;
    if (type === LParen || type === LBracket || type === LCurly) open.push(type);
    else if (type === RParen || type === RBracket) {
      if (open[open.length - 1] === (type === RParen ? LParen : LBracket)) open.pop();
    } else if (type === RCurly) {
      const at = open.lastIndexOf(LCurly);
      if (at >= 0) open.length = at;
    }
    if (type !== Newline) {
      out.push(tok);
      continue;
    }
    const prev = out[out.length - 1];
    const next = tokens[i + 1];
    if (!prev || !next || prev.tokenType === Newline) continue;
    if (startsAssignment(tokens, i + 1)) {
      out.push(tok);
      continue;
    }
    const top = open[open.length - 1];
    if (top === LParen || top === LBracket) continue;
    if (CONTINUES_AFTER.has(prev.tokenType) || CONTINUES_BEFORE.has(next.tokenType)) continue;
    out.push(tok);
  }
  return out;
}

function startsAssignment(tokens: IToken[], at: number): boolean {
  let i = at;
  if (tokens[i]?.tokenType !== Identifier) return false;
  i++;
  while (tokens[i]?.tokenType === Dot && tokens[i + 1]?.tokenType === Identifier) i += 2;
  const after = tokens[i]?.tokenType;
  return after === Equals || after === In || after === Colon;
}
