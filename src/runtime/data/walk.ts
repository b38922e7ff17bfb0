// Lazy recursive listing. Files are yielded while the walk goes on (a million-file tree starts streaming at
// once); what stays in memory is the stack of open folders and the set of folders seen. Each folder's names
// are sorted so that the order, and therefore every shuffle built on it, is the same on any machine or file
// system holding the same tree (the price: one folder's names are held while that folder is walked).
// Symlinks are followed; a folder reached again through a link to one of its ancestors is a loop, reported
// and not entered; a folder reached twice by other links is walked once.

import { opendir, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";
import { anyGlobMatches, globMatches, type CompiledGlob } from "./glob.js";
import type { SkippedFile, SkipReason } from "./types.js";

export interface WalkFilters {
  include: readonly CompiledGlob[];
  exclude: readonly CompiledGlob[];
}

export type WalkEvent = { kind: "file"; path: string; relative: string } | { kind: "issue"; skipped: SkippedFile };

/** Live counters, updated as the walk proceeds (tests use them to prove the listing is lazy). */
export interface WalkProgress {
  directoriesOpened: number;
  filesYielded: number;
  finished: boolean;
}

const KIND_FILE = 1;
const KIND_DIRECTORY = 2;
const KIND_SYMLINK = 3;
const KIND_OTHER = 4;

interface Frame {
  dir: string;
  relative: string;
  identity: string;
  names: string[];
  kinds: Uint8Array;
  next: number;
}

export function reasonForFsError(error: unknown): SkipReason {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "ENOTDIR") return "missing";
  if (code === "EACCES" || code === "EPERM") return "permission-denied";
  if (code === "ELOOP") return "symlink-loop";
  return "unreadable";
}

function identityOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

async function readFolder(dir: string, relative: string, identity: string): Promise<Frame> {
  const names: string[] = [];
  const kinds: number[] = [];
  const handle = await opendir(dir, { bufferSize: 256 });
  for await (const entry of handle) {
    names.push(entry.name);
    kinds.push(entry.isFile() ? KIND_FILE : entry.isDirectory() ? KIND_DIRECTORY : entry.isSymbolicLink() ? KIND_SYMLINK : KIND_OTHER);
  }
  const order = names.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
  return {
    dir,
    relative,
    identity,
    names: order.map((i) => names[i]),
    kinds: Uint8Array.from(order.map((i) => kinds[i])),
    next: 0,
  };
}

function excludesFolder(exclude: readonly CompiledGlob[], relative: string): boolean {
  for (const glob of exclude) {
    if (globMatches(glob, relative)) return true;
    if (!glob.matchesBaseName && glob.regex.test(`${relative}/`)) return true;
  }
  return false;
}

function issue(path: string, error: unknown, reason = reasonForFsError(error)): WalkEvent {
  const detail = error instanceof Error ? error.message : String(error);
  return { kind: "issue", skipped: { path, reason, detail } };
}

/** `root` must be an existing folder (sources check that up front, with a user-facing error). */
export async function* walkFiles(root: string, filters: WalkFilters, progress?: WalkProgress): AsyncGenerator<WalkEvent> {
  const rootIdentity = identityOf(await stat(root));
  const visited = new Set<string>([rootIdentity]);
  const ancestors = new Set<string>([rootIdentity]);
  const stack: Frame[] = [await readFolder(root, "", rootIdentity)];
  if (progress) progress.directoriesOpened++;
  try {
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame.next >= frame.names.length) {
        stack.pop();
        ancestors.delete(frame.identity);
        continue;
      }
      const position = frame.next++;
      const name = frame.names[position];
      const relative = frame.relative === "" ? name : `${frame.relative}/${name}`;
      const path = join(frame.dir, name);
      let kind = frame.kinds[position];
      let targetStats: Stats | undefined;
      if (kind === KIND_SYMLINK || kind === KIND_OTHER) {
        try {
          targetStats = await stat(path);
        } catch (error) {
          yield issue(path, error);
          continue;
        }
        kind = targetStats.isDirectory() ? KIND_DIRECTORY : targetStats.isFile() ? KIND_FILE : KIND_OTHER;
      }
      if (kind === KIND_FILE) {
        if (!anyGlobMatches(filters.include, relative) || anyGlobMatches(filters.exclude, relative)) continue;
        if (progress) progress.filesYielded++;
        yield { kind: "file", path, relative };
      } else if (kind === KIND_DIRECTORY) {
        if (excludesFolder(filters.exclude, relative)) continue;
        try {
          targetStats ??= await stat(path);
        } catch (error) {
          yield issue(path, error);
          continue;
        }
        const identity = identityOf(targetStats);
        if (ancestors.has(identity)) {
          yield issue(path, "symbolic link to one of its own parent folders; not followed", "symlink-loop");
          continue;
        }
        if (visited.has(identity)) continue;
        visited.add(identity);
        let child: Frame;
        try {
          child = await readFolder(path, relative, identity);
        } catch (error) {
          yield issue(path, error);
          continue;
        }
        if (progress) progress.directoriesOpened++;
        ancestors.add(identity);
        stack.push(child);
      }
    }
    if (progress) progress.finished = true;
  } finally {
    stack.length = 0;
  }
}
