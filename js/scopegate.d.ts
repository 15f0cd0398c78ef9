// Types for scopegate (DESIGN.md §5 and §6, the public contract). Hand-written, and checked by
// `tsc --noEmit` in the tests together with a file that uses every export.

/** What happens to the request. */
export type Effect = "allow" | "deny" | "defer";

/** The one reason behind a decision. */
export type Reason =
  | "ok"
  | "no_credentials"
  | "malformed_credentials"
  | "bad_token_checksum"
  | "unknown_token"
  | "token_revoked"
  | "token_expired"
  | "token_lifetime_exceeds_policy"
  | "token_kind_blocked"
  | "api_tokens_blocked"
  | "password_auth_disabled"
  | "password_auth_deferred"
  | "ip_not_allowed"
  | "route_unknown"
  | "scope_missing"
  | "resource_out_of_scope"
  | "principal_inactive"
  | "principal_lacks_permission"
  | "bundle_expired"
  | "anonymous_public_read"
  | "internal_error";

/** The eight kinds of credential. */
export type TokenKind =
  | "repository_access_token"
  | "project_access_token"
  | "workspace_access_token"
  | "api_token"
  | "app_password"
  | "personal_access_token"
  | "service_account_token"
  | "org_api_key";

/** The token a decision is about (never its secret). */
export interface TokenSummary {
  id: string;
  kind: TokenKind;
  label?: string;
  principal?: string;
  resource?: string;
}

/** What the matched route needs: any one of the sets, every scope of that set. */
export interface Required {
  anyOf: string[][];
  /** The addressed resource, canonical (`repository:acme/web`). */
  resource?: string;
}

/** The engine's answer for one request. */
export interface Decision {
  effect: Effect;
  /** `effect === "allow"`. */
  allow: boolean;
  reason: Reason;
  /** One sentence for humans. */
  message: string;
  token?: TokenSummary;
  required?: Required;
  /** The token's scopes after implication. */
  granted?: string[];
  clientIp?: string;
  /** The policy that applied (`"default"` if none). */
  policy?: string;
  expiresAt?: string;
}

/** One step of the decision pipeline. */
export interface Step {
  step: string;
  ok: boolean;
  detail: string;
}

/** A decision and the steps that led to it. */
export interface Explanation {
  decision: Decision;
  steps: Step[];
}

/** Header names to values, [name, value] pairs, or a Fetch `Headers` / `Map`. */
export type HeadersLike =
  | Readonly<Record<string, string | readonly string[]>>
  | ReadonlyArray<readonly [string, string]>
  | { entries(): Iterable<[string, string]> };

/** One request to decide on. */
export interface CheckInput {
  /** Default `GET`. */
  method?: string;
  /** A full URL or a path with its query (`/2.0/repositories/acme/web?x=1`). */
  url: string;
  headers?: HeadersLike;
  /** The TCP peer (`203.0.113.9`, `[2001:db8::1]:443`); client IPs resolve from it through trusted proxies. */
  remoteAddr?: string;
  /** Milliseconds since the epoch; default `Date.now()`. */
  now?: number;
}

/** The parts of a Fetch API `Request` that `checkRequest` reads. */
export interface FetchRequestLike {
  method: string;
  url: string;
  headers: { entries(): Iterable<[string, string]> };
}

export interface CheckRequestOptions {
  remoteAddr?: string;
  now?: number;
}

/** Counts and times of the loaded snapshot. */
export interface Info {
  profile: string;
  issuedAt: string;
  expiresAt?: string;
  tokens: number;
  principals: number;
  workspaces: number;
  projects: number;
  repositories: number;
  policies: number;
  routes: number;
  /** Loaded from a signed bundle (false for `Engine.fromState`). */
  signed: boolean;
  /** Size of the loaded bundle (0 for an unsigned state). */
  bundleBytes: number;
}

/** The state document (DESIGN.md §3), snake_case as exported from the system of record. */
export interface State {
  issued_at: string;
  profile?: string;
  resources?: {
    workspaces?: Array<{ slug: string; [key: string]: unknown }>;
    projects?: Array<{ workspace: string; key: string; [key: string]: unknown }>;
    repositories?: Array<{ workspace: string; slug: string; project?: string; public?: boolean; [key: string]: unknown }>;
  };
  principals?: Array<Record<string, unknown>>;
  tokens?: Array<{
    id: string;
    kind: TokenKind;
    secret_sha256?: string;
    secret?: string;
    label?: string;
    principal?: string;
    resource?: string;
    scopes?: string[];
    access?: "read_only" | "read_write";
    created_at?: string;
    expires_at?: string | null;
    revoked_at?: string | null;
    created_by?: string;
    allowed_ips?: string[];
    [key: string]: unknown;
  }>;
  policies?: Array<Record<string, unknown>>;
  default_policy?: Record<string, unknown>;
  network?: Record<string, unknown>;
  token_permissions?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What `init()` can load the WebAssembly module from. */
export type InitInput =
  | string
  | URL
  | Request
  | Response
  | BufferSource
  | WebAssembly.Module
  | PromiseLike<Response | BufferSource>;

/**
 * Instantiates the WebAssembly module; await it once before anything else. Without an
 * argument it loads the .wasm next to the module (read from disk in Node, fetched elsewhere).
 */
export function init(input?: InitInput | { module_or_path: InitInput }): Promise<void>;

/** Instantiates synchronously from a compiled module or the .wasm bytes. */
export function initSync(
  module: WebAssembly.Module | BufferSource | { module: WebAssembly.Module | BufferSource },
): void;

/** Decides requests against one snapshot. Make one with `Engine.fromState`. */
export class Engine {
  private constructor();
  /** An engine over an unsigned state (object or JSON text); throws an `Error` naming the JSON path of bad input. */
  static fromState(state: State | string): Engine;
  /** Decides one request. Never throws for a deny; throws only for a malformed request. */
  check(request: CheckInput): Decision;
  /** Decides a Fetch API `Request`. */
  checkRequest(request: FetchRequestLike, options?: CheckRequestOptions): Decision;
  /** Decides one request and reports every step. */
  explain(request: CheckInput): Explanation;
  /** Counts and times of the loaded snapshot. */
  info(): Info;
  /** Frees the WebAssembly memory now rather than at garbage collection. */
  free(): void;
}

/** A freshly minted token and its digest. Show the token once; store only `sha256`. */
export interface MintedToken {
  token: string;
  /** Lower-case hex SHA-256 of the token, as a state's `secret_sha256`. */
  sha256: string;
}

/** Mints a token of `kind` from 256 bits of platform randomness. */
export function mintToken(kind: TokenKind): MintedToken;

/** Lower-case hex SHA-256 of a token. */
export function digestToken(token: string): string;
