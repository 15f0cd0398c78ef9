// Types for scopegate (DESIGN.md §5 and §6, the public contract). Hand-written to match the
// engine's serde output field for field (src/decision.rs, engine.rs, preview.rs, audit.rs,
// bundle/load.rs, profile/mod.rs), and checked by `tsc --noEmit` in the tests together with a
// file that uses every export (tests/js/types-check.ts).

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
  | "internal_error"
  /** The URL or request cannot be read the one way the origin reads it (deny). */
  | "malformed_request"
  /** `now` is more than five minutes before the snapshot's `issued_at` (deny). */
  | "bundle_not_yet_valid";

/** Every reason code, in the engine's order. */
export const REASONS: readonly Reason[];

/**
 * A point in time: milliseconds since the epoch (a finite number) or a valid `Date`. Anything
 * else is a `TypeError`; left out, it is `Date.now()`.
 */
export type Instant = number | Date;

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

/** Every token kind, in the engine's order. */
export const TOKEN_KINDS: readonly TokenKind[];

/**
 * A coarse access mode a token may carry instead of route scopes, judged by what the route
 * needs: `read_only` reads (a Git clone included), `read_write` also writes; neither covers
 * admin-level routes (deleting a repository, webhooks, branch restrictions).
 */
export type AccessMode = "read_only" | "read_write";

/** A permission level; higher levels include the lower ones. */
export type Level = "read" | "write" | "admin";

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
  /** Default `Date.now()`. */
  now?: Instant;
}

/** The parts of a Fetch API `Request` that `checkRequest` reads. */
export interface FetchRequestLike {
  method: string;
  url: string;
  headers: { entries(): Iterable<[string, string]> };
}

export interface CheckRequestOptions {
  remoteAddr?: string;
  /** Default `Date.now()`. */
  now?: Instant;
}

/** Counts and times of the loaded snapshot. */
export interface Info {
  profile: string;
  issuedAt: string;
  /** When the bundle (or the applied delta) stops being trusted; absent for an unsigned state. */
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
  /** Size of the loaded bundle and applied delta (0 for an unsigned state). */
  bundleBytes: number;
}

/** Bytes as the API accepts them. */
export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/** A public key: typed text (`scopegate-ed25519-public:<base64url>`), base64url or base64 text, or its 32 bytes. */
export type PublicKeyInput = string | Uint8Array;

/**
 * A private key (the 32-byte Ed25519 seed): typed text (`scopegate-ed25519-private:<base64url>`),
 * base64url or base64 text, or its bytes. A typed public key here is an error.
 */
export type PrivateKeyInput = string | Uint8Array;

/** The key (or keys, while rotating) that verifies a bundle. */
export type VerifyOptions = { publicKey: PublicKeyInput } | { publicKeys: readonly PublicKeyInput[] };

/** `Engine.load` options. */
export type LoadOptions = VerifyOptions & {
  /**
   * When the bundle is checked: refused when expired, or issued more than five minutes after
   * it. Default `Date.now()`.
   */
  now?: Instant;
  /**
   * Refuse a bundle issued before this (no rollback): a refresh passes the `issuedAt` of the
   * engine in use (`current.info().issuedAt`). Milliseconds, a `Date` or RFC 3339 text.
   */
  minIssuedAt?: Instant | string;
};

/** Options of calls that only need the time. */
export interface NowOptions {
  /** Default `Date.now()`. */
  now?: Instant;
}

/** `engine.applyDelta` options. */
export interface ApplyDeltaOptions extends NowOptions {
  /**
   * Refuse a delta issued before this: a fresh engine on the same base is held to the
   * `issuedAt` of the engine in use. Milliseconds, a `Date` or RFC 3339 text.
   */
  minIssuedAt?: Instant | string;
}

/** A permission a principal holds on a resource (`acme`, `acme/PROJ`, `acme/web`). */
export interface PermissionInput {
  resource: string;
  level: Level;
}

/** One token record of a state. */
export interface TokenInput {
  id: string;
  kind: TokenKind;
  /** Lower-case hex SHA-256 of the secret (preferred). */
  secret_sha256?: string;
  /** The secret itself, hashed at build time and never stored. */
  secret?: string;
  label?: string;
  principal?: string;
  resource?: string;
  scopes?: string[];
  access?: AccessMode;
  created_at?: string;
  expires_at?: string | null;
  revoked_at?: string | null;
  created_by?: string;
  allowed_ips?: string[];
}

/** One authentication policy: the default policy (no name, no members), or a listed one. */
export interface PolicyInput {
  /** Required on a listed policy. */
  name?: string;
  /** A principal belongs to the first listed policy naming it or one of its groups. */
  members?: { groups?: string[]; principals?: string[] };
  api_tokens?: "allow" | "block";
  app_passwords?: "allow" | "block";
  password_auth?: "allow" | "disable";
  max_token_lifetime_days?: number;
  ip_allowlist?: string[];
  revoke_issued_before?: string | null;
  require_2fa?: boolean;
}

/** A listed policy: it has a name. */
export type ListedPolicyInput = PolicyInput & { name: string };

export interface NetworkInput {
  trusted_proxies?: string[];
  client_ip_header?: "x-forwarded-for" | "forwarded" | "cf-connecting-ip" | "x-real-ip";
}

export interface TokenPermissionsInput {
  use?: string[];
  create?: string[];
  create_write?: string[];
  create_for_others?: string[];
}

/** The state document (DESIGN.md §3), snake_case as exported from the system of record. */
export interface State {
  issued_at: string;
  /** A built-in profile's name (default `bitbucket-cloud`) or a profile (`profileFromOpenApi`). */
  profile?: string | ProfileDoc;
  resources?: {
    workspaces?: Array<{ slug: string }>;
    projects?: Array<{ workspace: string; key: string }>;
    repositories?: Array<{ workspace: string; slug: string; project?: string; public?: boolean }>;
  };
  principals?: Array<{
    id: string;
    kind?: "user" | "service_account";
    email?: string;
    /** The Bitbucket username: Basic auth takes it (exactly) like the email or the id. Unique. */
    username?: string;
    status?: "active" | "deactivated" | "deleted";
    groups?: string[];
    two_factor?: boolean;
    permissions?: PermissionInput[];
  }>;
  tokens?: TokenInput[];
  policies?: ListedPolicyInput[];
  default_policy?: PolicyInput;
  network?: NetworkInput;
  token_permissions?: TokenPermissionsInput;
  /** What an unknown route gets: `deny` (default) or `defer` to the origin. */
  unknown_route?: "deny" | "defer";
}

/**
 * A policy change for `preview` and `withPolicies`: every key optional; what is given replaces
 * the current one and nothing else (`default_policy` alone keeps the listed policies).
 */
export interface PolicyChange {
  policies?: ListedPolicyInput[];
  default_policy?: PolicyInput;
  network?: NetworkInput;
  token_permissions?: TokenPermissionsInput;
  unknown_route?: "deny" | "defer";
}

/**
 * A changes document for `buildDelta`: changes against the BASE bundle (not against a delta
 * applied since; deltas are cumulative). `buildDelta` takes it for one when it has any of
 * `revoke` / `remove` / `upsert` and none of `tokens` / `resources` / `principals` (or with
 * `{ form: "changes" }`). The policy keys mean what they mean in a `PolicyChange`
 * (`default_policy` alone keeps the listed policies).
 */
export interface DeltaChanges extends PolicyChange {
  /** RFC 3339, not before the base's `issued_at`. */
  issued_at: string;
  /** Token ids to revoke, or `{ id, at }` (`at` RFC 3339, default `issued_at`; an earlier revocation stands). */
  revoke?: Array<string | { id: string; at?: string }>;
  /** Token ids dropped from the estate. */
  remove?: string[];
  /** New tokens, or replacements (by id, even with a new secret), as in the state's `tokens`. */
  upsert?: TokenInput[];
}

/** The policies of a snapshot in the state's form (`engine.policies()`): edit, then preview or apply. */
export interface PolicySet {
  policies: ListedPolicyInput[];
  default_policy: PolicyInput;
  network: NetworkInput;
  token_permissions: TokenPermissionsInput;
  unknown_route: "deny" | "defer";
}

/** A past request for `preview`'s replay: names its token by id, never by secret. */
export interface ReplayRequest {
  tokenId: string;
  /** Default `GET`. */
  method?: string;
  url: string;
  headers?: HeadersLike;
  remoteAddr?: string;
  /** When it was made; default the preview's `now`. */
  now?: Instant;
}

export interface PreviewOptions extends NowOptions {
  replay?: readonly ReplayRequest[];
  /** How many changed tokens and flipped requests to list one by one; default 1000. Counts are exact. */
  maxListed?: number;
}

/** One token whose standing changes. */
export interface TokenChange {
  id: string;
  kind: TokenKind;
  /** Its principal, else its creator, else its resource. */
  owner: string;
  before: Reason;
  after: Reason;
  /** Why, after the change. */
  message: string;
  policyBefore: string;
  policyAfter: string;
}

/** Effect and reason of one decision. */
export interface Outcome {
  effect: Effect;
  reason: Reason;
}

/** One replayed request whose decision flips. */
export interface Flip {
  /** Its position in `replay`. */
  index: number;
  tokenId: string;
  method: string;
  url: string;
  before: Outcome;
  after: Outcome;
}

/** The replay part of a preview. */
export interface ReplayReport {
  requests: number;
  flippedCount: number;
  newlyDenied: number;
  newlyAllowed: number;
  /** Requests naming a token id neither snapshot knows. */
  unknownTokenIds: number;
  /** The first `maxListed` (default 1000) flips. */
  flipped: Flip[];
}

/** What a proposed change would do. */
export interface PreviewReport {
  tokensEvaluated: number;
  changedCount: number;
  /** Usable before, not after. */
  newlyDenied: number;
  /** Not usable before, usable after. */
  newlyAllowed: number;
  /** Changed tokens by their reason after the change. */
  byReason: Partial<Record<Reason, number>>;
  /** Changed tokens by owner. */
  byOwner: Record<string, number>;
  /** The first `maxListed` (default 1000) changed tokens, in id order. */
  changed: TokenChange[];
  /** With `replay` only. */
  replay?: ReplayReport;
}

/** What kind of problem a finding is. */
export type FindingKind =
  | "expiring_soon"
  | "orphaned"
  | "no_expiry"
  | "beyond_policy_lifetime"
  | "app_password"
  | "over_broad"
  | "no2fa";

/** How urgent a finding is. */
export type Severity = "info" | "low" | "medium" | "high";

/** One audit finding. */
export interface Finding {
  kind: FindingKind;
  severity: Severity;
  tokenId?: string;
  principal?: string;
  message: string;
}

/** Findings over the whole token estate. */
export interface AuditReport {
  now: string;
  tokens: number;
  /** Not revoked, not expired. */
  activeTokens: number;
  /** Findings per kind. */
  summary: Partial<Record<FindingKind, number>>;
  /** Most severe first, at most 10,000. */
  findings: Finding[];
  truncated: boolean;
}

export interface AuditOptions extends NowOptions {
  /** The window for `expiring_soon`, in days; default 30. */
  expiringWithinDays?: number;
}

/** The token estate at a glance. */
export interface Estate {
  total: number;
  /** Tokens by kind. */
  byKind: Partial<Record<TokenKind, number>>;
  revoked: number;
  expired: number;
  noExpiry: number;
  /** Live tokens expiring in week 1, 2, ... from `now`. */
  weeks: number[];
  /** Live tokens expiring after the last week. */
  later: number;
}

export interface EstateOptions extends NowOptions {
  /** Weeks of expiry timeline; default 26, at most 104. */
  weeks?: number;
}

/** The token someone wants to create (`canCreateToken`). */
export interface TokenSpec {
  kind: TokenKind;
  /** For user-bound kinds: whose token (the actor when absent). */
  principal?: string | null;
  /** For access tokens: the repository, project or workspace. */
  resource?: string | null;
  scopes?: string[];
  access?: AccessMode | null;
  /** RFC 3339; absent means no expiry. `expiresAt` is accepted too. */
  expires_at?: string | null;
  expiresAt?: string | null;
}

/** Options of `buildBundle` and `buildDelta`. */
export interface BuildOptions {
  /** How long the bundle is trusted after the state's `issued_at`; default 86400 (a day). */
  ttlSeconds?: number;
  /** Called before each step of the build (not for a `buildDelta` from changes: one step). */
  onProgress?: (progress: BuildProgress) => void;
  /**
   * `buildDelta` only: whether the document is a new `state` or `changes`; by default a
   * document with `revoke` / `remove` / `upsert` and no `tokens` / `resources` / `principals`
   * is changes. Give `"changes"` for a policy change alone.
   */
  form?: "state" | "changes";
}

/** A step of a build: `parse` (read and check the state), then `build` (encode and sign). */
export type BuildProgress = { phase: "parse" } | { phase: "build"; tokens: number };

/**
 * An Ed25519 key pair: base64url without padding, or with `{ typed: true }` in the typed text
 * form (`scopegate-ed25519-public:<base64url>`, `scopegate-ed25519-private:<base64url>`).
 */
export interface KeyPair {
  publicKey: string;
  /** The 32-byte seed: keep it secret. */
  privateKey: string;
  /** Hex id of the public key, as the bundles this pair signs name it. */
  keyId: string;
}

/** Options of `generateKeyPair` and `publicKeyOf`. */
export interface KeyTextOptions {
  /** Write keys in the typed text form that says which kind of key they are; default false. */
  typed?: boolean;
}

/** A freshly minted token and its digest. Show the token once; store only `sha256`. */
export interface MintedToken {
  token: string;
  /** Lower-case hex SHA-256 of the token, as a state's `secret_sha256`. */
  sha256: string;
}

/** One scope of a profile's catalogue. */
export interface ScopeDef {
  name: string;
  /** Scopes this one implies directly. */
  implies: string[];
  /** The lowest permission a user needs on the resource to use this scope there. */
  level: Level | null;
}

/** One route: method and path template -> any one of the scope sets. */
export interface RouteDef {
  method: string;
  path: string;
  any_of: string[][];
  /** A query parameter that selects this route (`service=git-receive-pack`). */
  query: string | null;
  /**
   * The permission level the operation needs. Absent or `null` in a profile written before
   * levels: the method class (GET, HEAD, OPTIONS and Git's `git-upload-pack` read; others write).
   */
  level?: Level | null;
  /** The origin checks ownership of the addressed object (snippets, a user's keys). */
  owner_check?: boolean;
}

/** A profile as data: a state's `profile`, or what `profileFromOpenApi` returns. */
export interface ProfileDoc {
  name: string;
  base_path: string;
  scopes: ScopeDef[];
  routes: RouteDef[];
}

export interface ProfileOptions {
  /** 1 to 128 characters; default the spec's `info.title`, lower-cased and dashed. */
  name?: string;
}

/** Sizes of a bundle's sections, in bytes. */
export interface SectionSizes {
  header: number;
  meta: number;
  strings: number;
  resources: number;
  scopeSets: number;
  ipLists: number;
  prefixes: number;
  blocks: number;
  records: number;
  removed: number;
  signature: number;
}

/** What a verified bundle or delta says about itself. */
export interface BundleInfo {
  kind: "bundle" | "delta";
  version: number;
  /** Hex id of the signing key. */
  keyId: string;
  issuedAt: string;
  expiresAt: string;
  /** Records in the token table (a delta: new and changed records). */
  tokens: number;
  /** Tokens a delta removes (0 for a bundle). */
  removed: number;
  /** Whether a delta carries new policies/directory (a bundle always does). */
  meta: boolean;
  /** Hex SHA-256 of the base bundle, for a delta. */
  base?: string;
  /** Hex SHA-256 of these bytes: the name a delta built on this bundle gives its base. */
  sha256: string;
  bytes: number;
  sections: SectionSizes;
  /** Whether the bundle is past its `expires_at` at `now` (loading it fails then). */
  expired: boolean;
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

/** Decides requests against one snapshot. Make one with `Engine.load` or `Engine.fromState`. */
export class Engine {
  private constructor();
  /**
   * An engine over a signed bundle, verified with the public key (or one of the keys). Throws
   * an `Error` for a truncated, tampered, expired, not yet valid or unknown-key bundle, one
   * issued before `minIssuedAt` (a rollback), or a delta.
   */
  static load(bundle: Bytes, options: LoadOptions): Engine;
  /** An engine over an unsigned state (object or JSON text); throws an `Error` naming the JSON path of bad input. */
  static fromState(state: State | string): Engine;
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
  /** What a proposed state or policy change would do to every token, and to `replay`. */
  preview(proposal: State | PolicyChange | string, options?: PreviewOptions): PreviewReport;
  /** Findings over the token estate. */
  audit(options?: AuditOptions): AuditReport;
  /** Counts by kind and an expiry timeline. */
  estate(options?: EstateOptions): Estate;
  /** The policies, network and token permissions in the state's form, ready to edit. */
  policies(): PolicySet;
  /** A new unsigned engine over the same tokens with a policy change applied; this one is unchanged. */
  withPolicies(change: PolicyChange | string): Engine;
  /**
   * A new unsigned engine with a changes document applied: what a delta of the same document
   * (`buildDelta`) makes of this engine's bundle. This one is unchanged; throws an `Error`
   * naming the JSON path of bad input.
   */
  withChanges(changes: DeltaChanges | string): Engine;
  /**
   * The whole snapshot as a state document: `Engine.fromState` of it decides as this engine
   * does. Throws for an engine over a signed bundle (a bundle keeps only a prefix of each digest).
   */
  state(): State;
  /** A signed full bundle of this snapshot (after `withChanges`, say), valid `ttlSeconds` after its `issued_at`. */
  buildBundle(privateKey: PrivateKeyInput, options?: Pick<BuildOptions, "ttlSeconds">): Uint8Array;
  /** Whether `actorId` may create the token `spec` describes; throws for an unknown scope or resource. */
  canCreateToken(actorId: string, spec: TokenSpec, options?: NowOptions): Decision;
  /**
   * Whether `actorId` may revoke the token with id `tokenId`: its own tokens; anybody's with
   * `create_for_others`; an access token as an admin of its resource. Throws for an unknown id.
   */
  canRevokeToken(actorId: string, tokenId: string, options?: NowOptions): Decision;
  /** Counts and times of the loaded snapshot. */
  info(): Info;
  /** Frees the WebAssembly memory now rather than at garbage collection. */
  free(): void;
}

/** A signed bundle of `state`; throws an `Error` naming the JSON path of bad input. */
export function buildBundle(state: State | string, privateKey: PrivateKeyInput, options?: BuildOptions): Uint8Array;

/**
 * A signed delta that turns `baseBundle` into `newState`, or applies `changes` to it (see
 * `DeltaChanges`); throws an `Error` naming the JSON path of bad input.
 */
export function buildDelta(
  baseBundle: Bytes,
  newStateOrChanges: State | DeltaChanges | string,
  privateKey: PrivateKeyInput,
  options?: BuildOptions,
): Uint8Array;

/** Options of `new BundleBuilder`. */
export interface BundleBuilderOptions {
  /** What errors call the token list: `tokens.ndjson:41: expires_at: ...`. Default `"tokens.ndjson"`. */
  name?: string;
}

/** Options of `BundleBuilder.finish`. */
export interface FinishOptions {
  /** How long the bundle is trusted after the state's `issued_at`; default 86400 (a day). */
  ttlSeconds?: number;
}

/**
 * A signed bundle from a state and its tokens streamed as NDJSON (one token object per line,
 * as in a state's `tokens`), for estates too large for one JSON document. The same bytes as
 * `buildBundle` of the whole state. Errors name the line (`tokens.ndjson:41: expires_at:
 * expected an RFC 3339 time, got "tomorrow"`); after one, every further call throws.
 * Full build only.
 */
export class BundleBuilder {
  /** Over a state (object or JSON text), usually without `tokens`: any it has come first. */
  constructor(state: State | string, options?: BundleBuilderOptions);
  /** The next chunk of the token list: text or UTF-8 bytes, ending anywhere (even inside a line). */
  addTokens(chunk: string | Bytes): this;
  /** Tokens added so far. */
  readonly tokens: number;
  /** Reads the last line, checks ids and secrets across all chunks, and signs the bundle. */
  finish(privateKey: PrivateKeyInput, options?: FinishOptions): Uint8Array;
  /** Frees the WebAssembly memory now rather than at garbage collection (finish does it too). */
  free(): void;
}

/** A fresh Ed25519 key pair from the platform's randomness. */
export function generateKeyPair(options?: KeyTextOptions): KeyPair;

/** The public key (base64url, or typed) that verifies what `privateKey` signs. */
export function publicKeyOf(privateKey: PrivateKeyInput, options?: KeyTextOptions): string;

/** The hex id of a public key, as the bundles its private key signs name it (`BundleInfo.keyId`); a private key here is an error. */
export function keyIdOf(publicKey: PublicKeyInput): string;

/** Mints a token of `kind` from 256 bits of platform randomness. */
export function mintToken(kind: TokenKind): MintedToken;

/** Lower-case hex SHA-256 of a token. */
export function digestToken(token: string): string;

/** A profile from an OpenAPI 3 document (object or JSON text); throws naming the JSON path of a problem. */
export function profileFromOpenApi(spec: object | string, options?: ProfileOptions): ProfileDoc;

/**
 * Verifies a bundle or delta (signature and layout) and reports its header, with `expired` at
 * `now` (default `Date.now()`).
 */
export function inspectBundle(bundle: Bytes, options: VerifyOptions & NowOptions): BundleInfo;
