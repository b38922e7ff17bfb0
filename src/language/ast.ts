import type { Span } from "../diagnostics/types.js";
import type { UnitWord } from "./tokens.js";

/** AST of a .seer file. Every node has a span; the formatter and the checker both read it. */

export interface Ident { kind: "Ident"; name: string; span: Span }

export interface NumberNode {
  kind: "Number";
  /** As written, without the unit: `16k`, `1e-5`, `0.14`. */
  text: string;
  /** With the count suffix applied: `16k` → 16000. */
  value: number;
  unit: UnitWord | null;
  span: Span;
}
export interface StringNode { kind: "String"; value: string; span: Span }
export interface BoolNode { kind: "Bool"; value: boolean; span: Span }
/** A name or dotted reference: `linear`, `SEER_RegNetY_256GF`, `trunk.width`. */
export interface RefNode { kind: "Ref"; parts: Ident[]; span: Span }
/** Member access on something that is not a plain name. */
export interface MemberNode { kind: "Member"; object: Value; member: Ident; span: Span }
export interface CallNode { kind: "Call"; callee: Ident; args: Value[]; span: Span }
export interface ListNode { kind: "List"; items: Value[]; span: Span }
export interface BlockNode { kind: "Block"; statements: Statement[]; span: Span }
/** Juxtaposed terms, e.g. `regnety { … }` or `warmup linear 0.15 -> 9.6 over 8000 steps`. Always two or more items. */
export interface PhraseNode { kind: "Phrase"; items: Value[]; span: Span }
export interface RangeNode { kind: "Range"; low: Value; high: Value; span: Span }
export interface ArrowNode { kind: "Arrow"; from: Value; to: Value; span: Span }
/** `2 x 224px`, `16 per device x 512 devices`. */
export interface CrossNode { kind: "Cross"; left: Value; right: Value; span: Span }
/** `16 per device`. */
export interface PerNode { kind: "Per"; value: Value; unit: Ident; span: Span }
export interface BinaryNode { kind: "Binary"; op: "+" | "-" | "*" | "/"; left: Value; right: Value; span: Span }
export interface NegateNode { kind: "Negate"; operand: Value; span: Span }
/** `x0.1` in a step schedule. */
export interface MultiplierNode { kind: "Multiplier"; factor: Value; span: Span }
export interface ParenNode { kind: "Paren"; inner: Value; span: Span }
/** `A, then B` (schedules) and `A, x0.1 at 30 epochs` (step factors). */
export interface ChainNode { kind: "Chain"; parts: Value[]; span: Span }

export type Value =
  | NumberNode | StringNode | BoolNode | RefNode | MemberNode | CallNode | ListNode | BlockNode | PhraseNode
  | RangeNode | ArrowNode | CrossNode | PerNode | BinaryNode | NegateNode | MultiplierNode | ParenNode | ChainNode;

export type StatementOp = "=" | "in" | ":" | null;
export interface Statement { kind: "Statement"; path: Ident[]; op: StatementOp; value: Value; span: Span }

export interface ImportDecl { kind: "Import"; spec: string; specSpan: Span; span: Span }
export interface ExperimentDecl { kind: "Experiment"; name: Ident; base: Ident | null; body: BlockNode; span: Span }
export interface PresetDecl { kind: "Preset"; name: Ident; value: Value; span: Span }
export interface SweepDecl { kind: "Sweep"; name: Ident; base: Ident; body: BlockNode; span: Span }
export type TopDecl = ExperimentDecl | PresetDecl | SweepDecl;

export interface Comment { text: string; span: Span; block: boolean }

export interface SourceFile {
  kind: "File";
  path: string;
  imports: ImportDecl[];
  decls: TopDecl[];
  comments: Comment[];
  span: Span;
}

export function pathText(path: readonly Ident[]): string {
  return path.map((p) => p.name).join(".");
}
