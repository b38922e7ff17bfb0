import type { CstNode, CstElement, IToken, IRecognitionException, ILexingError } from "chevrotain";
import type { Diagnostic, Span } from "../diagnostics/types.js";
import { diagnostic } from "../diagnostics/make.js";
import type * as A from "./ast.js";
import * as T from "./tokens.js";
import { seerParser } from "./parser.js";

export interface ParseResult {
  file: A.SourceFile;
  diagnostics: Diagnostic[];
}

/** Maps offsets to 1-based line/column for one text. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
  span(file: string, start: number, end: number): Span {
    if (Number.isNaN(end)) end = start;
    const s = this.position(start), e = this.position(Math.max(start, end));
    return { file, start, end: Math.max(start, end), line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
  }
}

/** Parses one file's text. Never throws: every problem becomes a located diagnostic. */
export function parseSource(text: string, file: string): ParseResult {
  const lines = new LineIndex(text);
  const diagnostics: Diagnostic[] = [];
  const lexed = T.seerLexer.tokenize(text);
  for (const err of lexed.errors) diagnostics.push(lexError(err, text, file, lines));
  const comments: A.Comment[] = (lexed.groups.comments ?? []).map((tok) => ({
    text: tok.image,
    span: tokenSpan(tok, file, lines),
    block: tok.tokenType === T.BlockComment,
  }));
  const tokens: IToken[] = [];
  for (const tok of lexed.tokens) {
    if (tok.tokenType === T.UnterminatedString || tok.tokenType === T.UnterminatedBlockComment) {
      const isString = tok.tokenType === T.UnterminatedString;
      diagnostics.push(diagnostic("SEER1004", `unterminated ${isString ? "string" : "block comment"}`, tokenSpan(tok, file, lines), {
        hint: isString ? "close the string with `\"` on the same line" : "close the comment with `*/`",
      }));
      // The string is read as if closed at the end of its line, so the rest of the file is still checked.
      if (isString) tokens.push({ ...tok, tokenType: T.StringLiteral, tokenTypeIdx: T.StringLiteral.tokenTypeIdx! });
      continue;
    }
    tokens.push(tok);
  }
  seerParser.input = limitNesting(T.significantNewlines(tokens), file, lines, diagnostics);
  const cst = seerParser.file();
  for (const err of seerParser.errors) diagnostics.push(parseError(err, file, lines, text.length));
  const builder = new AstBuilder(file, lines, diagnostics);
  const ast = builder.file(cst, comments, text.length);
  dropTooDeep(ast, diagnostics);
  return { file: ast, diagnostics: dedupeByPosition(diagnostics) };
}

/** Parses one `path = value` statement, e.g. a `-s loss.temperature=0.2` argument; its spans point into `text`. */
export function parseStatement(text: string, file: string): { statement: A.Statement | null; diagnostics: Diagnostic[] } {
  const lines = new LineIndex(text);
  const diagnostics: Diagnostic[] = [];
  const lexed = T.seerLexer.tokenize(text);
  for (const err of lexed.errors) diagnostics.push(lexError(err, text, file, lines));
  const unterminated = lexed.tokens.find((t) => t.tokenType === T.UnterminatedString || t.tokenType === T.UnterminatedBlockComment);
  if (unterminated) {
    diagnostics.push(diagnostic("SEER1004", `unterminated ${unterminated.tokenType === T.UnterminatedString ? "string" : "block comment"}`, tokenSpan(unterminated, file, lines)));
    return { statement: null, diagnostics };
  }
  seerParser.input = limitNesting(T.significantNewlines(lexed.tokens), file, lines, diagnostics);
  const cst = seerParser.statement();
  for (const err of seerParser.errors) diagnostics.push(parseError(err, file, lines, text.length));
  if (diagnostics.length > 0) return { statement: null, diagnostics };
  const builder = new AstBuilder(file, lines, diagnostics);
  const statement = builder.statementOf(cst);
  const deep = statement ? tooDeepNode(statement.value) : null;
  if (deep) {
    diagnostics.push(tooDeepDiagnostic(deep.span, MAX_VALUE_DEPTH));
    return { statement: null, diagnostics };
  }
  return { statement, diagnostics };
}

/**
 * How deeply brackets (and prefix `-`/`x`) may nest. The parser recurses a dozen rules per level and
 * Chevrotain's error recovery walks the grammar on top of that, so input nested much deeper would
 * overflow the stack; it is reported and skipped instead. Real files nest three or four levels.
 */
export const MAX_NESTING = 32;
/** How deep a value's tree may be once operator chains are built (`1 + 1 + …` nests once per operator); later phases recurse over it. */
export const MAX_VALUE_DEPTH = 256;

const OPENERS = new Set([T.LParen, T.LBracket, T.LCurly]);
const CLOSERS = new Set([T.RParen, T.RBracket, T.RCurly]);
/** After these a `-` or `x` is a binary operator; anywhere else it is a prefix that nests its operand. */
const OPERAND_ENDS = new Set([T.NumberLiteral, T.StringLiteral, T.Identifier, T.True, T.False, T.RParen, T.RBracket, T.RCurly]);

function tooDeepDiagnostic(span: Span, limit: number): Diagnostic {
  return diagnostic("SEER1002", `nested more than ${limit} levels deep; this part is skipped`, span, {
    hint: limit === MAX_NESTING ? "brackets, blocks and prefix operators each add a level" : "each operator of a chain such as `a + b + c` adds a level",
  });
}

/** Drops what nests deeper than MAX_NESTING (a bracket's whole group, or extra prefix operators), reporting the first place once. */
function limitNesting(tokens: IToken[], file: string, lines: LineIndex, diagnostics: Diagnostic[]): IToken[] {
  const kept: IToken[] = [];
  const costs: number[] = [];
  let depth = 0;
  let prefixRun = 0;
  let first: IToken | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    const type = tok.tokenType;
    const previous = kept[kept.length - 1];
    if ((type === T.Minus || type === T.Cross) && !(previous && OPERAND_ENDS.has(previous.tokenType))) {
      if (depth + prefixRun + 1 > MAX_NESTING) first ??= tok;
      else {
        prefixRun++;
        kept.push(tok);
      }
      continue;
    }
    if (OPENERS.has(type)) {
      const cost = prefixRun + 1;
      prefixRun = 0;
      if (depth + cost > MAX_NESTING) {
        first ??= tok;
        for (let level = 0; i < tokens.length; i++) {
          if (OPENERS.has(tokens[i].tokenType)) level++;
          else if (CLOSERS.has(tokens[i].tokenType) && --level === 0) break;
        }
        continue;
      }
      costs.push(cost);
      depth += cost;
      kept.push(tok);
      continue;
    }
    if (CLOSERS.has(type) && costs.length > 0) depth -= costs.pop()!;
    prefixRun = 0;
    kept.push(tok);
  }
  if (first) diagnostics.push(tooDeepDiagnostic(tokenSpan(first, file, lines), MAX_NESTING));
  return kept;
}

function childValues(v: A.Value): A.Value[] {
  switch (v.kind) {
    case "Member":
      return [v.object];
    case "Call":
      return v.args;
    case "List":
      return v.items;
    case "Block":
      return v.statements.map((s) => s.value);
    case "Phrase":
      return v.items;
    case "Range":
      return [v.low, v.high];
    case "Arrow":
      return [v.from, v.to];
    case "Cross":
    case "Binary":
      return [v.left, v.right];
    case "Per":
      return [v.value];
    case "Negate":
      return [v.operand];
    case "Multiplier":
      return [v.factor];
    case "Paren":
      return [v.inner];
    case "Chain":
      return v.parts;
    default:
      return [];
  }
}

/** The leftmost node more than MAX_VALUE_DEPTH levels below `root`, found without recursing (the tree may be too deep for that). */
function tooDeepNode(root: A.Value): A.Value | null {
  const stack: Array<[A.Value, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_VALUE_DEPTH) return node;
    const children = childValues(node);
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], depth + 1]);
  }
  return null;
}

/** Removes top-level statements (and presets) whose value is too deep for the phases after parsing. */
function dropTooDeep(file: A.SourceFile, diagnostics: Diagnostic[]): void {
  const keep = (value: A.Value): boolean => {
    const deep = tooDeepNode(value);
    if (deep) diagnostics.push(tooDeepDiagnostic(deep.span, MAX_VALUE_DEPTH));
    return deep === null;
  };
  file.decls = file.decls.filter((decl) => {
    if (decl.kind === "Preset") return keep(decl.value);
    decl.body.statements = decl.body.statements.filter((s) => keep(s.value));
    return true;
  });
}

/** Recovery can report the same place twice; users should see one message per place. */
function dedupeByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}:${d.span?.start}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function tokenSpan(tok: IToken, file: string, lines: LineIndex): Span {
  return lines.span(file, tok.startOffset, (tok.endOffset ?? tok.startOffset) + 1);
}

function lexError(err: ILexingError, text: string, file: string, lines: LineIndex): Diagnostic {
  const ch = text.slice(err.offset, err.offset + err.length);
  const shown = ch.length > 20 ? ch.slice(0, 20) + "…" : ch;
  const printable = /^[\x20-\x7e]+$/.test(shown) ? `\`${shown}\`` : `byte(s) ${[...shown].map((c) => "0x" + c.charCodeAt(0).toString(16).padStart(2, "0")).slice(0, 4).join(" ")}`;
  return diagnostic("SEER1001", `unexpected character${ch.length > 1 ? "s" : ""} ${printable}`, lines.span(file, err.offset, err.offset + Math.max(1, err.length)), {
    hint: "names are letters, digits and `_`; strings are written in double quotes",
  });
}

function parseError(err: IRecognitionException, file: string, lines: LineIndex, textLength: number): Diagnostic {
  const tok = err.token;
  let span: Span;
  if (!tok || tok.tokenType?.name === "EOF" || Number.isNaN(tok.startOffset)) {
    const prev = (err as { previousToken?: IToken }).previousToken;
    const at = prev && !Number.isNaN(prev.endOffset ?? NaN) ? (prev.endOffset ?? 0) + 1 : textLength;
    span = lines.span(file, Math.min(at, textLength), Math.min(at, textLength));
  } else {
    span = tokenSpan(tok, file, lines);
  }
  return diagnostic("SEER1002", err.message, span);
}

type Ctx = Record<string, CstElement[] | undefined>;

const OPERATOR_TOKENS = ["DotDot", "Arrow", "Cross", "Plus", "Minus", "Star", "Slash"];
/** Loosest first: `0.15 .. 1.0`, then `0.15 -> 9.6`, then `2 x 224px`, then arithmetic. */
const PRECEDENCE: Record<string, number> = { "..": 1, "->": 2, "→": 2, x: 3, "×": 3, "+": 4, "-": 4, "*": 5, "/": 5 };
const isToken = (e: CstElement): e is IToken => (e as IToken).image !== undefined;
function startOf(e: CstElement): number {
  return isToken(e) ? e.startOffset : (e.location?.startOffset ?? Number.NaN);
}

/** Builds AST nodes from the CST. Nodes whose pieces were lost to error recovery are dropped: their syntax error is already reported. */
class AstBuilder {
  constructor(private readonly path: string, private readonly lines: LineIndex, private readonly diagnostics: Diagnostic[]) {}

  private spanOfNode(node: CstNode): Span {
    const loc = node.location;
    if (!loc || Number.isNaN(loc.startOffset)) return this.lines.span(this.path, 0, 0);
    const end = Number.isNaN(loc.endOffset ?? Number.NaN) ? loc.startOffset : (loc.endOffset ?? loc.startOffset) + 1;
    return this.lines.span(this.path, loc.startOffset, end);
  }
  private spanOfToken(tok: IToken): Span {
    return tokenSpan(tok, this.path, this.lines);
  }
  private join(a: Span, b: Span): Span {
    return this.lines.span(this.path, a.start, b.end);
  }
  private token(ctx: Ctx, name: string, index = 0): IToken | undefined {
    const el = ctx[name]?.[index];
    return el && isToken(el) && !Number.isNaN(el.startOffset) ? el : undefined;
  }
  private node(ctx: Ctx, name: string, index = 0): CstNode | undefined {
    const el = ctx[name]?.[index];
    return el && !isToken(el) ? el : undefined;
  }
  private nodes(ctx: Ctx, name: string): CstNode[] {
    return (ctx[name] ?? []).filter((e): e is CstNode => !isToken(e));
  }
  private ident(tok: IToken | undefined): A.Ident | null {
    return tok ? { kind: "Ident", name: tok.image, span: this.spanOfToken(tok) } : null;
  }

  file(cst: CstNode, comments: A.Comment[], length: number): A.SourceFile {
    const ctx = cst.children as Ctx;
    const imports: A.ImportDecl[] = [];
    const decls: A.TopDecl[] = [];
    const ordered = [
      ...this.nodes(ctx, "importDecl"), ...this.nodes(ctx, "experimentDecl"), ...this.nodes(ctx, "presetDecl"), ...this.nodes(ctx, "sweepDecl"),
    ].sort((a, b) => startOf(a) - startOf(b));
    for (const n of ordered) {
      if (n.name === "importDecl") {
        const imp = this.importDecl(n);
        if (imp) imports.push(imp);
      } else {
        const decl = n.name === "experimentDecl" ? this.experimentDecl(n) : n.name === "presetDecl" ? this.presetDecl(n) : this.sweepDecl(n);
        if (decl) decls.push(decl);
      }
    }
    return { kind: "File", path: this.path, imports, decls, comments, span: this.lines.span(this.path, 0, length) };
  }

  private importDecl(n: CstNode): A.ImportDecl | null {
    const tok = this.token(n.children as Ctx, "StringLiteral");
    if (!tok) return null;
    return { kind: "Import", spec: unquote(tok.image), specSpan: this.spanOfToken(tok), span: this.spanOfNode(n) };
  }

  private experimentDecl(n: CstNode): A.ExperimentDecl | null {
    const ctx = n.children as Ctx;
    const name = this.ident(this.token(ctx, "name"));
    const bodyNode = this.node(ctx, "block");
    const body = bodyNode ? this.block(bodyNode) : null;
    if (!name || !body) return null;
    return { kind: "Experiment", name, base: this.ident(this.token(ctx, "base")), body, span: this.spanOfNode(n) };
  }

  private presetDecl(n: CstNode): A.PresetDecl | null {
    const ctx = n.children as Ctx;
    const name = this.ident(this.token(ctx, "name"));
    const valueNode = this.node(ctx, "value");
    const value = valueNode ? this.value(valueNode) : null;
    if (!name || !value) return null;
    return { kind: "Preset", name, value, span: this.spanOfNode(n) };
  }

  private sweepDecl(n: CstNode): A.SweepDecl | null {
    const ctx = n.children as Ctx;
    const name = this.ident(this.token(ctx, "name"));
    const base = this.ident(this.token(ctx, "base"));
    const bodyNode = this.node(ctx, "block");
    const body = bodyNode ? this.block(bodyNode) : null;
    if (!name || !base || !body) return null;
    return { kind: "Sweep", name, base, body, span: this.spanOfNode(n) };
  }

  block(n: CstNode): A.BlockNode {
    const statements = this.nodes(n.children as Ctx, "statement").map((s) => this.statement(s)).filter((s): s is A.Statement => s !== null);
    return { kind: "Block", statements, span: this.spanOfNode(n) };
  }

  statementOf(n: CstNode): A.Statement | null {
    return this.statement(n);
  }

  private statement(n: CstNode): A.Statement | null {
    const ctx = n.children as Ctx;
    const pathNode = this.node(ctx, "path");
    const valueNode = this.node(ctx, "value");
    if (!pathNode || !valueNode) return null;
    const path = (pathNode.children as Ctx).Identifier?.filter(isToken).filter((t) => !Number.isNaN(t.startOffset)).map((t) => this.ident(t)!) ?? [];
    const value = this.value(valueNode);
    if (path.length === 0 || !value) return null;
    let op: A.StatementOp = null;
    if (this.token(ctx, "Equals")) op = "=";
    else if (this.token(ctx, "In")) op = "in";
    else if (this.token(ctx, "Colon")) {
      op = ":";
      const colon = this.token(ctx, "Colon")!;
      this.diagnostics.push(diagnostic("SEER1003", `fields are assigned with \`=\`, not \`:\``, this.spanOfToken(colon), {
        hint: `write \`${path.map((p) => p.name).join(".")} = …\``,
        suggestions: ["="],
      }));
    }
    return { kind: "Statement", path, op, value, span: this.spanOfNode(n) };
  }

  value(n: CstNode): A.Value | null {
    const parts = this.nodes(n.children as Ctx, "phrase").map((p) => this.phrase(p)).filter((p): p is A.Value => p !== null);
    if (parts.length === 0) return null;
    if (parts.length === 1) return parts[0];
    return { kind: "Chain", parts, span: this.join(parts[0].span, parts[parts.length - 1].span) };
  }

  private phrase(n: CstNode): A.Value | null {
    const items = this.nodes(n.children as Ctx, "expression").map((r) => this.expression(r)).filter((v): v is A.Value => v !== null);
    if (items.length === 0) return null;
    if (items.length === 1) return items[0];
    return { kind: "Phrase", items, span: this.join(items[0].span, items[items.length - 1].span) };
  }

  /** Precedence climbing over the flat operand/operator list the grammar reads. */
  private expression(n: CstNode): A.Value | null {
    const ctx = n.children as Ctx;
    const operands = this.nodes(ctx, "unary").map((u) => this.unary(u));
    if (operands.length === 0 || operands.some((o) => o === null)) return operands.find((o) => o !== null) ?? null;
    const ops = OPERATOR_TOKENS.flatMap((name) => (ctx[name] ?? []).filter(isToken)).sort((a, b) => a.startOffset - b.startOffset);
    if (ops.length !== operands.length - 1) return operands[0];
    let pos = 0;
    const values = operands as A.Value[];
    const climb = (minPrecedence: number): A.Value => {
      let left = values[pos];
      while (pos < ops.length && PRECEDENCE[ops[pos].image] >= minPrecedence) {
        const op = ops[pos];
        const precedence = PRECEDENCE[op.image];
        pos++;
        const right = climb(precedence + 1);
        left = this.combine(op, left, right);
      }
      return left;
    };
    return climb(0);
  }

  private combine(op: IToken, left: A.Value, right: A.Value): A.Value {
    const span = this.join(left.span, right.span);
    switch (op.tokenType) {
      case T.DotDot:
        if (left.kind === "Range" || right.kind === "Range") this.diagnostics.push(diagnostic("SEER1002", "a range has two ends: write `low .. high`", this.spanOfToken(op)));
        return { kind: "Range", low: left, high: right, span };
      case T.Arrow:
        if (left.kind === "Arrow" || right.kind === "Arrow") this.diagnostics.push(diagnostic("SEER1002", "one `->` per piece: write `from -> to`", this.spanOfToken(op)));
        return { kind: "Arrow", from: left, to: right, span };
      case T.Cross:
        return { kind: "Cross", left, right, span };
      default:
        return { kind: "Binary", op: op.image as A.BinaryNode["op"], left, right, span };
    }
  }

  private unary(n: CstNode): A.Value | null {
    const ctx = n.children as Ctx;
    const inner = this.node(ctx, "unary");
    if (inner) {
      const operand = this.unary(inner);
      if (!operand) return null;
      const opTok = this.token(ctx, "Minus") ?? this.token(ctx, "Cross");
      const span = opTok ? this.join(this.spanOfToken(opTok), operand.span) : operand.span;
      return this.token(ctx, "Minus") ? { kind: "Negate", operand, span } : { kind: "Multiplier", factor: operand, span };
    }
    const post = this.node(ctx, "postfix");
    return post ? this.postfix(post) : null;
  }

  private postfix(n: CstNode): A.Value | null {
    const ctx = n.children as Ctx;
    const primaryNode = this.node(ctx, "primary");
    let value = primaryNode ? this.primary(primaryNode) : null;
    if (!value) return null;
    // A member the parser inserted while recovering has no position (and no name); its error is already reported.
    for (const tok of (ctx.member ?? []).filter(isToken).filter((t) => !Number.isNaN(t.startOffset))) {
      const member = this.ident(tok)!;
      if (value.kind === "Ref") value = { kind: "Ref", parts: [...value.parts, member], span: this.join(value.span, member.span) };
      else value = { kind: "Member", object: value, member, span: this.join(value.span, member.span) };
    }
    const perUnit = this.ident(this.token(ctx, "perUnit"));
    if (perUnit) value = { kind: "Per", value, unit: perUnit, span: this.join(value.span, perUnit.span) };
    return value;
  }

  private primary(n: CstNode): A.Value | null {
    const ctx = n.children as Ctx;
    const num = this.token(ctx, "NumberLiteral");
    if (num) return this.number(num);
    const str = this.token(ctx, "StringLiteral");
    if (str) return { kind: "String", value: unquote(str.image), span: this.spanOfToken(str) };
    const t = this.token(ctx, "True") ?? this.token(ctx, "False");
    if (t) return { kind: "Bool", value: t.tokenType === T.True, span: this.spanOfToken(t) };
    const list = this.node(ctx, "list");
    if (list) return this.list(list);
    const block = this.node(ctx, "block");
    if (block) return this.block(block);
    const paren = this.node(ctx, "parenthesized");
    if (paren) {
      const innerNode = this.node(paren.children as Ctx, "value");
      const inner = innerNode ? this.value(innerNode) : null;
      return inner ? { kind: "Paren", inner, span: this.spanOfNode(paren) } : null;
    }
    const nc = this.node(ctx, "nameOrCall");
    if (nc) return this.nameOrCall(nc);
    return null;
  }

  private nameOrCall(n: CstNode): A.Value | null {
    const ctx = n.children as Ctx;
    const name = this.ident(this.token(ctx, "Identifier"));
    if (!name) return null;
    if (!this.token(ctx, "LParen")) return { kind: "Ref", parts: [name], span: name.span };
    return { kind: "Call", callee: name, args: this.commaSeparated(ctx, "argument"), span: this.spanOfNode(n) };
  }

  private list(n: CstNode): A.ListNode {
    return { kind: "List", items: this.commaSeparated(n.children as Ctx, "item"), span: this.spanOfNode(n) };
  }

  /** Values separated by single commas (a trailing one allowed); reports doubled and missing commas. */
  private commaSeparated(ctx: Ctx, noun: string): A.Value[] {
    const elements = [...this.nodes(ctx, "value"), ...(ctx.Comma ?? []).filter(isToken)].sort((a, b) => startOf(a) - startOf(b));
    const items: A.Value[] = [];
    let previous: "start" | "comma" | "value" = "start";
    for (const el of elements) {
      if (isToken(el)) {
        if (previous !== "value") {
          const where = previous === "start" ? `before the first ${noun}` : `between ${noun}s`;
          this.diagnostics.push(diagnostic("SEER1002", `empty ${noun} ${where}`, this.spanOfToken(el), { hint: "remove the extra `,`" }));
        }
        previous = "comma";
        continue;
      }
      const value = this.value(el);
      if (!value) continue;
      if (previous === "value") {
        this.diagnostics.push(diagnostic("SEER1002", `expected \`,\` between ${noun}s`, value.span, { hint: `separate ${noun}s with commas` }));
      }
      items.push(value);
      previous = "value";
    }
    return items;
  }

  private number(tok: IToken): A.NumberNode | null {
    const span = this.spanOfToken(tok);
    const m = /^([\d_.]+(?:[eE][+-]?\d+)?)([kKMBT])?\s*(.*)$/.exec(tok.image);
    if (!m) return null;
    const [, digits, suffix, unitRaw] = m;
    if (suffix && /[eE]/.test(digits)) {
      this.diagnostics.push(diagnostic("SEER1005", `\`${tok.image}\` mixes scientific notation with a count suffix`, span, { hint: "write either 1e6 or 1M" }));
      return null;
    }
    const base = Number(digits.replace(/_/g, ""));
    if (!Number.isFinite(base) || /__|_\.|\._|_$/.test(digits)) {
      this.diagnostics.push(diagnostic("SEER1005", `\`${tok.image}\` is not a valid number`, span, { hint: "underscores may only separate digits, as in 1_000_000" }));
      return null;
    }
    const value = suffix ? base * T.COUNT_SUFFIXES[suffix] : base;
    const unit = unitRaw ? (unitRaw as A.NumberNode["unit"]) : null;
    return { kind: "Number", text: digits + (suffix ?? ""), value: roundCount(value), unit, span };
  }
}

/** `1.2M` is 1,200,000 exactly, not 1199999.9999999998. */
function roundCount(value: number): number {
  const rounded = Math.round(value);
  return Math.abs(value - rounded) < 1e-9 * Math.max(1, Math.abs(value)) ? rounded : value;
}

export function unquote(image: string): string {
  const closed = image.length >= 2 && image.endsWith('"') && !image.endsWith('\\"');
  return image.slice(1, closed ? -1 : undefined).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}
