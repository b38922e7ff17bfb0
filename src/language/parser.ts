import { CstParser, EOF, type IToken, type TokenType, type IParserErrorMessageProvider, tokenLabel } from "chevrotain";
import * as T from "./tokens.js";

/**
 * The grammar of .seer files: syntax only, no meaning. It is deliberately permissive
 * (any `path = value`, any juxtaposition of values as a phrase) so that the checker, which
 * knows every field, can give located, did-you-mean messages instead of "expecting token X".
 */
export class SeerParser extends CstParser {
  /** `validateGrammar`: run Chevrotain's grammar checks (ambiguities, left recursion); the tests do, the CLI skips them to start fast. */
  constructor(validateGrammar = false) {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: "full", maxLookahead: 3, errorMessageProvider: userTermsMessages, skipValidations: !validateGrammar });
    this.performSelfAnalysis();
  }

  public file = this.RULE("file", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.experimentDecl) },
        { ALT: () => this.SUBRULE(this.presetDecl) },
        { ALT: () => this.SUBRULE(this.sweepDecl) },
        { ALT: () => this.CONSUME(T.Newline) },
        { ALT: () => this.CONSUME(T.Semicolon) },
      ]);
    });
  });

  public importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  public experimentDecl = this.RULE("experimentDecl", () => {
    this.CONSUME(T.Experiment);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.Extends);
      this.CONSUME2(T.Identifier, { LABEL: "base" });
    });
    this.SUBRULE(this.block);
  });

  public presetDecl = this.RULE("presetDecl", () => {
    this.CONSUME(T.Preset);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.value);
  });

  public sweepDecl = this.RULE("sweepDecl", () => {
    this.CONSUME(T.Sweep);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.From);
    this.CONSUME2(T.Identifier, { LABEL: "base" });
    this.SUBRULE(this.block);
  });

  public block = this.RULE("block", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.statement) },
        { ALT: () => this.CONSUME(T.Newline) },
        { ALT: () => this.CONSUME(T.Comma) },
        { ALT: () => this.CONSUME(T.Semicolon) },
      ]);
    });
    this.CONSUME(T.RCurly);
  });

  /** `path = value`, `path in value` (sweep axes), `path value` (`data {…}`, `crop 2 x 96px …`), or the mistaken `path: value`. */
  public statement = this.RULE("statement", () => {
    this.SUBRULE(this.path);
    this.OR([
      { ALT: () => { this.CONSUME(T.Equals); this.SUBRULE(this.value); } },
      { ALT: () => { this.CONSUME(T.In); this.SUBRULE2(this.value); } },
      { ALT: () => { this.CONSUME(T.Colon); this.SUBRULE3(this.value); } },
      { ALT: () => this.SUBRULE4(this.value) },
    ]);
  });

  public path = this.RULE("path", () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Identifier);
    });
  });

  /** A phrase, or phrases chained with `then` (schedules) or `, x…` (step factors). */
  public value = this.RULE("value", () => {
    this.SUBRULE(this.phrase);
    this.MANY({
      GATE: () => {
        const a = this.LA(1).tokenType, b = this.LA(2).tokenType;
        return a === T.Then || (a === T.Comma && (b === T.Then || b === T.Cross));
      },
      DEF: () => {
        this.OPTION(() => this.CONSUME(T.Comma));
        this.OPTION2(() => this.CONSUME(T.Then));
        this.SUBRULE2(this.phrase);
      },
    });
  });

  /** Juxtaposed terms: `warmup linear 0.15 -> 9.6 over 8000 steps`, `regnety { … }`, `mlp [a, b] {…}`. */
  public phrase = this.RULE("phrase", () => {
    this.AT_LEAST_ONE(() => this.SUBRULE(this.expression));
  });

  /**
   * Operands joined by binary operators, read flat; the AST builder applies precedence
   * (`..` < `->` < `x` < `+ -` < `* /`). One rule instead of one per level keeps the parse fast.
   */
  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.DotDot) },
        { ALT: () => this.CONSUME(T.Arrow) },
        { ALT: () => this.CONSUME(T.Cross) },
        { ALT: () => this.CONSUME(T.Plus) },
        { ALT: () => this.CONSUME(T.Minus) },
        { ALT: () => this.CONSUME(T.Star) },
        { ALT: () => this.CONSUME(T.Slash) },
      ]);
      this.SUBRULE2(this.unary);
    });
  });

  public unary = this.RULE("unary", () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.Minus); this.SUBRULE(this.unary); } },
      { ALT: () => { this.CONSUME(T.Cross); this.SUBRULE2(this.unary); } },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  /** `trunk.width`, `16 per device`. */
  public postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.Identifier, { LABEL: "member" });
    });
    this.OPTION(() => {
      this.CONSUME(T.Per);
      this.CONSUME2(T.Identifier, { LABEL: "perUnit" });
    });
  });

  public primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.block) },
      { ALT: () => this.SUBRULE(this.parenthesized) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
    ]);
  });

  public parenthesized = this.RULE("parenthesized", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.value);
    this.CONSUME(T.RParen);
  });

  /** Arguments and list items are read permissively (any run of values and commas) so that a doubled or missing comma is one precise message, not a cascade. */
  public nameOrCall = this.RULE("nameOrCall", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY(() => {
        this.OR([{ ALT: () => this.SUBRULE(this.value) }, { ALT: () => this.CONSUME(T.Comma) }]);
      });
      this.CONSUME(T.RParen);
    });
  });

  public list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.value) }, { ALT: () => this.CONSUME(T.Comma) }]);
    });
    this.CONSUME(T.RBracket);
  });
}

function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return "the end of the file";
  if (token.tokenType === T.Newline) return "the end of the line";
  const image = token.image.length > 24 ? token.image.slice(0, 24) + "…" : token.image;
  return `\`${image}\``;
}

const RULE_NOUNS: Record<string, string> = {
  file: "an `import`, `experiment`, `preset` or `sweep` declaration",
  statement: "`=`, `in` or a value",
  value: "a value (a number, string, name, list or block)",
  phrase: "a value (a number, string, name, list or block)",
  expression: "a value",
  unary: "a value",
  postfix: "a value",
  primary: "a value (a number, string, name, list or block)",
  block: "a field or `}`",
};

/**
 * Where the parser was, in the user's words: "after field name `temperature`". When recovery has
 * skipped tokens to resynchronise, Chevrotain passes the last skipped token as `previous`, which
 * is the unexpected token itself or one after it; that says nothing about where the parser was.
 */
function contextOf(previous: IToken | undefined, ruleName: string, actual?: IToken): string {
  if (!previous || previous.tokenType === EOF) return "";
  if (actual && actual.tokenType !== EOF && previous.startOffset >= actual.startOffset) return "";
  if (ruleName === "statement" && previous.tokenType === T.Identifier) return ` after field name \`${previous.image}\``;
  if (previous.tokenType === T.Newline) return "";
  return ` after ${describeToken(previous)}`;
}

function joinAlternatives(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

/** Input left over where the entry rule ends: a stray token at the top level, or more than one statement in an override. */
function leftOverMessage(token: IToken, ruleName: string): string {
  // `statement` is the entry rule of a `-s path=value` override, which holds exactly one statement.
  if (ruleName === "statement") return `expected one \`path=value\`, found ${describeToken(token)} after it`;
  return `unexpected ${describeToken(token)}; expected ${RULE_NOUNS.file}`;
}

export const userTermsMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    // Recovery at the top level reports "expected EOF"; users are told what may come there instead.
    if (expected === EOF) return leftOverMessage(actual, ruleName);
    return `expected ${tokenLabel(expected)}${contextOf(previous, ruleName, actual)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant, ruleName }) {
    return leftOverMessage(firstRedundant, ruleName);
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous, ruleName }) {
    const noun = RULE_NOUNS[ruleName];
    const expected = noun ?? joinAlternatives(expectedPathsPerAlt.flat().map((path: TokenType[]) => (path[0] ? tokenLabel(path[0]) : "")).filter(Boolean));
    return `expected ${expected}${contextOf(previous, ruleName, actual[0])}, found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, previous, ruleName }) {
    const noun = RULE_NOUNS[ruleName];
    const expected = noun ?? joinAlternatives(expectedIterationPaths.map((path: TokenType[]) => (path[0] ? tokenLabel(path[0]) : "")).filter(Boolean));
    return `expected ${expected}${contextOf(previous, ruleName, actual[0])}, found ${describeToken(actual[0])}`;
  },
};

/** One parser instance is reused; Chevrotain parsers are designed to be reset per input. */
export const seerParser = new SeerParser();
