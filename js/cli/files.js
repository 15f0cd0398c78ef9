// Files: reading inputs (a path, or "-" for stdin) and writing outputs atomically (a temporary
// file next to the target, flushed, then renamed: on an error nothing is written).

import { closeSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

import { InputError, UsageError } from "./errors.js";

/** A read error as one line naming the file. */
export function readError(path, e) {
  const why = { ENOENT: "no such file", EISDIR: "is a directory", EACCES: "permission denied" }[e.code] ?? e.message;
  return new InputError(`${path}: ${why}`);
}

export function readBytes(path) {
  try {
    return path === "-" ? readFileSync(0) : readFileSync(path);
  } catch (e) {
    throw readError(path, e);
  }
}

export function readText(path) {
  return readBytes(path).toString("utf8");
}

export function readJson(path) {
  const text = readText(path);
  try {
    return JSON.parse(text);
  } catch (e) {
    // NOTE: V8 quotes the text around the error ("...": sga_0El6XF"...), which may be a secret.
    const why = e.message.replace(/,? *(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, "");
    throw new InputError(`${path}: not JSON: ${why}`);
  }
}

/** The size of a file in bytes (0 for stdin). */
export function sizeOf(path) {
  if (path === "-") return 0;
  try {
    return statSync(path).size;
  } catch (e) {
    throw readError(path, e);
  }
}

/** Whether `path` names a regular file. */
export function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Reads a text file in chunks, reporting `(done, total)` bytes: the first step of a big build. */
export function readWithProgress(path, onChunk) {
  if (path === "-") return readText(path);
  let fd;
  try {
    fd = openSync(path, "r");
    const size = statSync(path).size;
    const buffer = Buffer.allocUnsafe(size);
    let done = 0;
    const chunk = 8 * 1024 * 1024;
    while (done < size) {
      const n = readSync(fd, buffer, done, Math.min(chunk, size - done), done);
      if (n === 0) break;
      done += n;
      onChunk(done, size);
    }
    return buffer.toString("utf8", 0, done);
  } catch (e) {
    throw readError(path, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Reads a file in 1 MiB pieces, calling `onChunk(bytes, doneSoFar)` with each (a view of one
 * reused buffer: the callee must not keep it): large inputs never sit in memory whole.
 */
export function readChunks(path, onChunk) {
  let fd;
  try {
    fd = path === "-" ? 0 : openSync(path, "r");
  } catch (e) {
    throw readError(path, e);
  }
  const buffer = Buffer.allocUnsafe(1 << 20);
  let done = 0;
  try {
    for (;;) {
      let n;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (e) {
        if (e.code === "EAGAIN") continue;
        throw readError(path, e);
      }
      if (n === 0) break;
      done += n;
      onChunk(buffer.subarray(0, n), done);
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/**
 * Writes `bytes` to `path` atomically: a temporary file next to it, flushed, then renamed over
 * it; on any error the temporary file is removed and `path` is untouched. "-" is stdout.
 */
export function writeAtomic(path, bytes, mode = 0o644) {
  if (path === "-") {
    if (process.stdout.isTTY && !(typeof bytes === "string")) {
      throw new UsageError("refusing to write binary bytes to a terminal: give --out <file>");
    }
    writeSync(1, bytes);
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd;
  try {
    fd = openSync(tmp, "wx", mode);
    writeSync(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw new InputError(`${path}: cannot write: ${e.code === "ENOENT" ? "no such directory" : e.message}`);
  }
}
