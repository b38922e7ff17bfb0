import type * as A from "./ast.js";

/**
 * Canonical layout of a .seer file: two-space indentation, one statement per line, a blank line
 * between declarations, blank lines between statements kept (at most one), every comment kept
 * (attached to the statement it precedes or follows). A block or list written on one line stays
 * on one line when it fits and holds no comments. Idempotent: format(format(x)) == format(x).
 */
const MAX_WIDTH = 100;
const INDENT = "  ";

const ATTACHED_UNITS = new Set(["px", "%"]);

export function formatSource(file: A.SourceFile, text: string): string {
  return new Printer(file, text).print();
}

class Printer {
  private readonly claimed = new Set<A.Comment>();
  /**
   * Above 0 while a block or list is being tried on one line. A nested block or list that cannot be
   * one line then fails the attempt at once instead of being laid out only to be thrown away, which
   * made the work double with every level of nesting.
   */
  private inlineAttempts = 0;
  constructor(private readonly file: A.SourceFile, private readonly text: string) {}

  print(): string {
    type Item = { node: A.ImportDecl | A.TopDecl; start: number; end: number };
    const items: Item[] = [...this.file.imports, ...this.file.decls]
      .map((node) => ({ node, start: node.span.start, end: node.span.end }))
      .sort((a, b) => a.start - b.start);
    const out: string[] = [];
    let prevEnd = 0;
    let prevKind: string | null = null;
    let prevOneLinePreset = false;
    for (const item of items) {
      const leading = this.takeComments(prevEnd, item.start);
      const kind = item.node.kind;
      const body = item.node.kind === "Import" ? `import ${quote(item.node.spec)}` : this.decl(item.node);
      const oneLinePreset = kind === "Preset" && !body.includes("\n");
      if (prevKind !== null) {
        // Imports, and presets written one per line (a table such as stdlib/regnet.seer), stay together unless a blank line separates them.
        const grouped = (prevKind === "Import" && kind === "Import") || (prevOneLinePreset && oneLinePreset);
        if (!grouped || this.hasBlankLine(prevEnd, leading[0]?.span.start ?? item.start)) out.push("");
      }
      for (const [i, c] of leading.entries()) {
        // Blank lines between comments, and between a comment and what follows, are kept.
        if (i > 0 && this.hasBlankLine(leading[i - 1].span.end, c.span.start)) out.push("");
        out.push(this.commentText(c, ""));
        if (i === leading.length - 1 && this.hasBlankLine(c.span.end, item.start)) out.push("");
      }
      out.push(body + this.trailingComment(item.end, this.nextStart(items, item)));
      prevEnd = item.end;
      prevKind = kind;
      prevOneLinePreset = oneLinePreset;
    }
    const rest = this.takeComments(prevEnd, this.text.length + 1);
    if (rest.length > 0 && out.length > 0) out.push("");
    for (const c of rest) out.push(this.commentText(c, ""));
    return out.join("\n").replace(/[ \t]+$/gm, "") + "\n";
  }

  private nextStart(items: Array<{ start: number }>, item: { start: number }): number {
    const next = items.find((i) => i.start > item.start);
    return next ? next.start : this.text.length + 1;
  }

  private decl(d: A.TopDecl): string {
    switch (d.kind) {
      case "Experiment":
        return `experiment ${d.name.name}${d.base ? ` extends ${d.base.name}` : ""} ${this.block(d.body, "", true)}`;
      case "Preset":
        return `preset ${d.name.name} = ${this.value(d.value, "", `preset ${d.name.name} = `.length)}`;
      case "Sweep":
        return `sweep ${d.name.name} from ${d.base.name} ${this.block(d.body, "", true)}`;
    }
  }

  /** Comments between two offsets not yet printed, in order. */
  private takeComments(from: number, to: number): A.Comment[] {
    const found = this.file.comments.filter((c) => !this.claimed.has(c) && c.span.start >= from && c.span.start < to);
    for (const c of found) this.claimed.add(c);
    return found;
  }

  /** A comment that starts on the line where a node ends, before the next node. */
  private trailingComment(end: number, nextStart: number): string {
    const lineEnd = this.text.indexOf("\n", end);
    const limit = Math.min(lineEnd === -1 ? this.text.length : lineEnd, nextStart);
    const c = this.file.comments.find((c) => !this.claimed.has(c) && c.span.start >= end && c.span.start < limit && !c.text.includes("\n"));
    if (!c) return "";
    this.claimed.add(c);
    return "  " + c.text.trimEnd();
  }

  private commentText(c: A.Comment, indent: string): string {
    if (!c.block) return indent + c.text.trimEnd();
    const lines = c.text.split("\n").map((l) => l.trimEnd());
    return lines.map((l, i) => (i === 0 ? indent + l.trimStart() : l)).join("\n");
  }

  private hasBlankLine(from: number, to: number): boolean {
    return /\n[ \t\r]*\n/.test(this.text.slice(from, to));
  }

  private hasCommentsIn(span: { start: number; end: number }): boolean {
    return this.file.comments.some((c) => !this.claimed.has(c) && c.span.start >= span.start && c.span.start < span.end);
  }

  private block(b: A.BlockNode, indent: string, forceMultiline = false): string {
    if (b.statements.length === 0 && !this.hasCommentsIn(b.span)) return "{}";
    if (!forceMultiline && b.span.line === b.span.endLine && !this.hasCommentsIn(b.span)) {
      this.inlineAttempts++;
      const inline = `{ ${b.statements.map((s) => this.statementInline(s)).join(", ")} }`;
      this.inlineAttempts--;
      if (!inline.includes("\n") && indent.length + inline.length <= MAX_WIDTH) return inline;
    }
    if (this.inlineAttempts > 0) return "\n";
    const inner = indent + INDENT;
    const lines: string[] = ["{"];
    let prevEnd = b.span.start + 1;
    for (const [i, s] of b.statements.entries()) {
      const leading = this.takeComments(prevEnd, s.span.start);
      if (i > 0 && this.hasBlankLine(prevEnd, leading[0]?.span.start ?? s.span.start)) lines.push("");
      for (const [k, c] of leading.entries()) {
        if (k > 0 && this.hasBlankLine(leading[k - 1].span.end, c.span.start)) lines.push("");
        lines.push(this.commentText(c, inner));
        if (k === leading.length - 1 && this.hasBlankLine(c.span.end, s.span.start)) lines.push("");
      }
      const printed = this.statement(s, inner);
      const nextStart = b.statements[i + 1]?.span.start ?? b.span.end - 1;
      const moved = this.takeComments(s.span.start, s.span.end);
      for (const c of moved) lines.push(this.commentText(c, inner));
      lines.push(inner + printed + this.trailingComment(s.span.end, nextStart));
      prevEnd = s.span.end;
    }
    const dangling = this.takeComments(prevEnd, b.span.end);
    if (dangling.length > 0 && b.statements.length > 0 && this.hasBlankLine(prevEnd, dangling[0].span.start)) lines.push("");
    for (const c of dangling) lines.push(this.commentText(c, inner));
    lines.push(indent + "}");
    return lines.join("\n");
  }

  private statementHead(s: A.Statement): string {
    const path = s.path.map((p) => p.name).join(".");
    // `:` is reported as an error by the parser; the formatter writes what the user meant.
    if (s.op === "=" || s.op === ":") return `${path} = `;
    if (s.op === "in") return `${path} in `;
    return `${path} `;
  }

  private statement(s: A.Statement, indent: string): string {
    const head = this.statementHead(s);
    return head + this.value(s.value, indent, indent.length + head.length);
  }

  private statementInline(s: A.Statement): string {
    return this.statementHead(s) + this.value(s.value, "", 0);
  }

  /** `column` is where the value starts on its line, to decide whether a list fits. */
  value(v: A.Value, indent: string, column: number): string {
    switch (v.kind) {
      case "Number":
        return v.text + (v.unit === null ? "" : ATTACHED_UNITS.has(v.unit) ? v.unit : ` ${v.unit}`);
      case "String":
        return quote(v.value);
      case "Bool":
        return v.value ? "true" : "false";
      case "Ref":
        return v.parts.map((p) => p.name).join(".");
      case "Member":
        return `${this.value(v.object, indent, column)}.${v.member.name}`;
      case "Call":
        return `${v.callee.name}(${v.args.map((a) => this.value(a, indent, column)).join(", ")})`;
      case "List":
        return this.list(v, indent, column);
      case "Block":
        return this.block(v, indent);
      case "Phrase": {
        let col = column;
        return v.items
          .map((item) => {
            const s = this.value(item, indent, col);
            col += s.length + 1;
            return s;
          })
          .join(" ");
      }
      case "Range":
        return `${this.value(v.low, indent, column)} .. ${this.value(v.high, indent, column)}`;
      case "Arrow":
        return `${this.value(v.from, indent, column)} -> ${this.value(v.to, indent, column)}`;
      case "Cross":
        return `${this.value(v.left, indent, column)} x ${this.value(v.right, indent, column)}`;
      case "Per":
        return `${this.value(v.value, indent, column)} per ${v.unit.name}`;
      case "Binary":
        return `${this.value(v.left, indent, column)} ${v.op} ${this.value(v.right, indent, column)}`;
      case "Negate":
        return `-${this.value(v.operand, indent, column)}`;
      case "Multiplier": {
        const factor = this.value(v.factor, indent, column);
        return v.factor.kind === "Number" ? `x${factor}` : `x ${factor}`;
      }
      case "Paren":
        return `(${this.value(v.inner, indent, column)})`;
      case "Chain":
        return v.parts
          .map((p, i) => {
            const s = this.value(p, indent, column);
            if (i === 0) return s;
            const multiplierLed = p.kind === "Multiplier" || (p.kind === "Phrase" && p.items[0].kind === "Multiplier");
            return multiplierLed ? `, ${s}` : `, then ${s}`;
          })
          .join("");
    }
  }

  private list(l: A.ListNode, indent: string, column: number): string {
    this.inlineAttempts++;
    const inline = `[${l.items.map((i) => this.value(i, indent, column)).join(", ")}]`;
    this.inlineAttempts--;
    if (!inline.includes("\n") && column + inline.length <= MAX_WIDTH && !this.hasCommentsIn(l.span)) return inline;
    if (this.inlineAttempts > 0) return "\n";
    const inner = indent + INDENT;
    const lines = ["["];
    let prevEnd = l.span.start + 1;
    for (const [i, item] of l.items.entries()) {
      for (const c of this.takeComments(prevEnd, item.span.start)) lines.push(this.commentText(c, inner));
      const nextStart = l.items[i + 1]?.span.start ?? l.span.end - 1;
      lines.push(inner + this.value(item, inner, inner.length) + "," + this.trailingComment(item.span.end, nextStart));
      prevEnd = item.span.end;
    }
    for (const c of this.takeComments(prevEnd, l.span.end)) lines.push(this.commentText(c, inner));
    lines.push(indent + "]");
    return lines.join("\n");
  }
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t")}"`;
}

/** One value in canonical form, e.g. a schedule as stored in the IR's `written` field. */
export function formatValue(v: A.Value): string {
  const empty: A.SourceFile = { kind: "File", path: "", imports: [], decls: [], comments: [], span: v.span };
  return new Printer(empty, "").value(v, "", 0);
}
