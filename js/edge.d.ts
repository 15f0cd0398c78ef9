// Types for scopegate/edge: the engine a worker ships (load signed bundles, apply deltas,
// decide). The same types as "scopegate" (./scopegate.d.ts), with the build side left out.

import type {
  ApplyDeltaOptions,
  Bytes,
  CheckInput,
  CheckRequestOptions,
  Decision,
  Explanation,
  FetchRequestLike,
  Info,
  LoadOptions,
  NowOptions,
} from "./scopegate.js";

export type {
  ApplyDeltaOptions,
  Bytes,
  CheckInput,
  CheckRequestOptions,
  Decision,
  Effect,
  Explanation,
  FetchRequestLike,
  HeadersLike,
  Info,
  InitInput,
  Instant,
  LoadOptions,
  NowOptions,
  PublicKeyInput,
  Reason,
  Required,
  Step,
  TokenKind,
  TokenSummary,
  VerifyOptions,
} from "./scopegate.js";

export { init, initSync, digestToken, REASONS, TOKEN_KINDS } from "./scopegate.js";

/** Decides requests against one signed snapshot. Make one with `Engine.load`. */
export class Engine {
  private constructor();
  /**
   * An engine over a signed bundle, verified with the public key (or one of the keys). Throws
   * an `Error` for a truncated, tampered, expired, not yet valid or unknown-key bundle, one
   * issued before `minIssuedAt` (a rollback), or a delta.
   */
  static load(bundle: Bytes, options: LoadOptions): Engine;
  /** Decides one request. Never throws for a deny; throws only for a malformed request. */
  check(request: CheckInput): Decision;
  /** Decides a Fetch API `Request`. */
  checkRequest(request: FetchRequestLike, options?: CheckRequestOptions): Decision;
  /** Decides one request and reports every step. */
  explain(request: CheckInput): Explanation;
  /**
   * Applies a signed delta on top of this engine's bundle; throws (and changes nothing) for a
   * bad one, an older one, or another one with the same `issued_at` as the delta applied.
   */
  applyDelta(delta: Bytes, options?: ApplyDeltaOptions): void;
  /** Counts and times of the loaded snapshot. */
  info(): Info;
  /** Frees the WebAssembly memory now rather than at garbage collection. */
  free(): void;
}
