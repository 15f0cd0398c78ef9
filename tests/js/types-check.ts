// Compiled by `tsc --noEmit -p tests/js` (never run): the .d.ts describes the API as documented,
// and rejects the misuse marked `@ts-expect-error`.
import {
  init,
  initSync,
  Engine,
  BundleBuilder,
  buildBundle,
  buildDelta,
  generateKeyPair,
  publicKeyOf,
  keyIdOf,
  mintToken,
  digestToken,
  profileFromOpenApi,
  inspectBundle,
  REASONS,
  TOKEN_KINDS,
  type AuditReport,
  type BundleInfo,
  type DeltaChanges,
  type Decision,
  type Effect,
  type Estate,
  type Explanation,
  type Finding,
  type FindingKind,
  type Info,
  type KeyPair,
  type Level,
  type MintedToken,
  type PolicySet,
  type PreviewReport,
  type ProfileDoc,
  type Reason,
  type Severity,
  type State,
  type TokenChange,
  type TokenKind,
  type TokenSpec,
} from "../../pkg/scopegate.js";
import * as edge from "../../pkg/edge.js";

export async function example(bytes: Uint8Array, module: WebAssembly.Module): Promise<Reason> {
  await init();
  await init(new URL("https://example.test/scopegate_wasm_bg.wasm"));
  await init(bytes);
  initSync(module);
  initSync({ module: bytes });
  await init({ module_or_path: "/pkg/scopegate_wasm_bg.wasm" });

  const minted: MintedToken = mintToken("repository_access_token");
  const hex: string = digestToken(minted.token);
  const state: State = {
    issued_at: "2026-11-22T10:00:00Z",
    tokens: [{ id: "t-1", kind: "repository_access_token", secret_sha256: hex, resource: "acme/web", scopes: ["repository"] }],
  };
  const engine = Engine.fromState(state);
  Engine.fromState(JSON.stringify(state));

  const d: Decision = engine.check({
    method: "GET",
    url: "/2.0/repositories/acme/web",
    headers: { authorization: `Bearer ${minted.token}` },
    remoteAddr: "203.0.113.9",
    now: Date.now(),
  });
  engine.check({ url: "/", headers: [["authorization", "Bearer x"]] });
  engine.check({ url: "/", headers: new Headers() });
  const effect: Effect = d.effect;
  const allowed: boolean = d.allow && effect === "allow";
  const required: string[][] | undefined = d.required?.anyOf;

  const fromFetch: Decision = engine.checkRequest(new Request("https://api.example.test/2.0/user"), { remoteAddr: "::1" });
  const x: Explanation = engine.explain({ url: "/2.0/user" });
  const firstStep: string | undefined = x.steps[0]?.step;
  const info: Info = engine.info();
  const count: number = info.tokens;
  engine.free();

  // Keys, bundles, deltas.
  const pair: KeyPair = generateKeyPair();
  const samePublic: string = publicKeyOf(pair.privateKey);
  const typedPair: KeyPair = generateKeyPair({ typed: true });
  const typedPublic: string = publicKeyOf(typedPair.privateKey, { typed: true });
  const id: string = keyIdOf(typedPublic);
  const sameId: boolean = id === typedPair.keyId && pair.keyId.length === 16;
  const bundle: Uint8Array = buildBundle(state, pair.privateKey, {
    ttlSeconds: 3600,
    onProgress: (p) => {
      if (p.phase === "build") void p.tokens;
    },
  });
  buildBundle(JSON.stringify(state), bytes);
  const builder = new BundleBuilder({ issued_at: "2026-11-22T10:00:00Z" }, { name: "tokens.ndjson" });
  const streamed: Uint8Array = builder.addTokens('{"id": "t-1"').addTokens(bytes).finish(pair.privateKey, { ttlSeconds: 60 });
  const added: number = builder.tokens;
  void [streamed, added];
  new BundleBuilder(JSON.stringify(state)).free();
  const signed = Engine.load(bundle, { publicKey: pair.publicKey, now: Date.now() });
  Engine.load(new ArrayBuffer(bundle.length), { publicKeys: [pair.publicKey, bytes] });
  const delta: Uint8Array = buildDelta(bundle, state, pair.privateKey, { ttlSeconds: 60 });
  const changes: DeltaChanges = {
    issued_at: "2026-11-22T11:00:00Z",
    revoke: ["t-1", { id: "t-2", at: "2026-11-22T10:55:00Z" }],
    remove: ["t-3"],
    upsert: [{ id: "t-4", kind: "api_token", principal: "u-mary", secret_sha256: "0".repeat(64) }],
  };
  buildDelta(bundle, changes, pair.privateKey, { form: "changes" });
  // @ts-expect-error: `revoke` holds ids or { id, at }
  buildDelta(bundle, { issued_at: "x", revoke: [1] }, pair.privateKey);
  signed.applyDelta(delta);
  signed.applyDelta(delta, { now: 0 });
  // Rollback guards and clocks as numbers, Dates or (for the floor) RFC 3339 text.
  const refreshed = Engine.load(bundle, { publicKey: pair.publicKey, now: new Date(), minIssuedAt: signed.info().issuedAt });
  refreshed.applyDelta(delta, { now: new Date(), minIssuedAt: Date.now() - 60_000 });
  Engine.load(bundle, { publicKey: pair.publicKey, minIssuedAt: new Date(0) });
  engine.check({ url: "/", now: new Date() });
  // @ts-expect-error: `now` is a number or a Date, never text
  engine.check({ url: "/", now: "0" });
  const clockReasons: Reason[] = ["bundle_not_yet_valid", "malformed_request"];
  void clockReasons;
  const header: BundleInfo = inspectBundle(delta, { publicKey: pair.publicKey, now: Date.now() });
  const stale: boolean = header.expired;
  const isDelta: boolean = header.kind === "delta" && header.base !== undefined;
  const expiresAt: string | undefined = signed.info().expiresAt;

  // The admin questions.
  const report: PreviewReport = signed.preview(
    { policies: [], default_policy: { api_tokens: "block", max_token_lifetime_days: 90 } },
    { replay: [{ tokenId: "t-1", url: "/2.0/user", headers: { "x-forwarded-for": "203.0.113.9" } }], now: 0 },
  );
  signed.preview(state);
  const change: TokenChange | undefined = report.changed[0];
  const after: Reason | undefined = change?.after;
  const blocked: number | undefined = report.byReason.api_tokens_blocked;
  const flippedTo: Effect | undefined = report.replay?.flipped[0]?.after.effect;
  const audit: AuditReport = signed.audit({ now: Date.now(), expiringWithinDays: 14 });
  const finding: Finding | undefined = audit.findings[0];
  const kind: FindingKind | undefined = finding?.kind;
  const severity: Severity | undefined = finding?.severity;
  const appPasswords: number | undefined = audit.summary.app_password;
  const spec: TokenSpec = { kind: "api_token", scopes: ["repository"], expiresAt: "2027-01-01T00:00:00Z" };
  const mayCreate: Decision = signed.canCreateToken("u-mary", spec, { now: Date.now() });
  const mayRevoke: Decision = signed.canRevokeToken("u-mary", "t-1", { now: Date.now() });
  const revokeReason: Reason = signed.canRevokeToken("u-mary", "t-1").reason;
  // @ts-expect-error: the token is named by its id, a string
  signed.canRevokeToken("u-mary", { id: "t-1" });
  const profile: ProfileDoc = profileFromOpenApi({ openapi: "3.0.3", paths: {} }, { name: "tiny" });
  const routeSets: string[][] | undefined = profile.routes[0]?.any_of;
  const routeLevel: Level | null | undefined = profile.routes[0]?.level;
  const ownerChecked: boolean | undefined = profile.routes[0]?.owner_check;
  const withProfile: State = { issued_at: "2026-11-22T10:00:00Z", profile };
  const estate: Estate = signed.estate({ now: Date.now(), weeks: 12 });
  const nextWeek: number | undefined = estate.weeks[0];
  const current: PolicySet = signed.policies();
  const applied: Engine = signed.withPolicies({ ...current, default_policy: { ...current.default_policy, api_tokens: "block" } });
  signed.withPolicies({ default_policy: { api_tokens: "block" } });
  const all: PreviewReport = signed.preview({ default_policy: { max_token_lifetime_days: 30 } }, { maxListed: 100_000 });
  const working: Engine = signed.withChanges({ issued_at: "2026-11-22T11:00:00Z", revoke: ["t-1"], default_policy: {} });
  const rebuilt: Uint8Array = working.buildBundle(pair.privateKey, { ttlSeconds: 3600 });
  const exported: State = engine.state();

  // The edge entry: the worker's subset, the same result types.
  await edge.init();
  const edgeEngine: edge.Engine = edge.Engine.load(bundle, { publicKey: pair.publicKey });
  const edgeDecision: Decision = edgeEngine.checkRequest(new Request("https://api.example.test/2.0/user"));
  edgeEngine.applyDelta(delta);
  edgeEngine.applyDelta(delta, { minIssuedAt: edgeEngine.info().issuedAt });
  edge.Engine.load(bundle, { publicKey: pair.publicKey, minIssuedAt: edgeEngine.info().issuedAt, now: new Date() });

  // The contract's lists, from either entry.
  const reasons: readonly Reason[] = REASONS;
  const kinds: readonly TokenKind[] = [...TOKEN_KINDS, ...edge.TOKEN_KINDS];
  const known: boolean = reasons.includes(edgeDecision.reason) && edge.REASONS.includes(d.reason) && kinds.length > 0;
  // @ts-expect-error: the lists are read-only
  REASONS.push("ok");

  // @ts-expect-error: not a token kind
  mintToken("banana");
  // @ts-expect-error: the url is required
  engine.check({ method: "GET" });
  // @ts-expect-error: engines come from Engine.load or Engine.fromState
  new Engine();
  // @ts-expect-error: not a reason code
  const wrong: Reason = "nope";
  // @ts-expect-error: a bundle needs a public key to be verified
  Engine.load(bundle, {});
  // @ts-expect-error: a bundle is bytes, not text
  Engine.load("bundle", { publicKey: pair.publicKey });
  // @ts-expect-error: a private key is text or bytes
  buildBundle(state, 42);
  // @ts-expect-error: ttlSeconds is a number
  buildBundle(state, pair.privateKey, { ttlSeconds: "1d" });
  // @ts-expect-error: a token list chunk is text or bytes, not parsed tokens
  builder.addTokens([{ id: "t-1" }]);
  // @ts-expect-error: replayed requests name a token id, not a secret
  signed.preview(state, { replay: [{ token: "sga_x", url: "/" }] });
  // @ts-expect-error: a listed policy needs a name
  signed.preview({ policies: [{ api_tokens: "block" }] });
  // @ts-expect-error: a changes document needs its issued_at
  signed.withChanges({ revoke: ["t-1"] });
  // @ts-expect-error: maxListed is a number
  signed.preview(state, { maxListed: "all" });
  // @ts-expect-error: a token spec needs a kind
  signed.canCreateToken("u-mary", { scopes: [] });
  // @ts-expect-error: `policies` is a list of policy objects
  signed.policies().policies = "block";
  // @ts-expect-error: finding kinds are snake_case codes
  const wrongKind: FindingKind = "appPassword";
  // @ts-expect-error: the edge build has no unsigned states
  edge.Engine.fromState(state);
  // @ts-expect-error: nor the admin questions
  edgeEngine.audit();
  // @ts-expect-error: and no bundle builder
  void edge.buildBundle;

  void [allowed, required, fromFetch, firstStep, count, wrong, samePublic, sameId, stale, isDelta, expiresAt, after, blocked, flippedTo];
  void [kind, severity, appPasswords, mayCreate, routeSets, withProfile, edgeDecision, wrongKind, nextWeek, applied];
  void [all, rebuilt, exported];
  void [mayRevoke, revokeReason, routeLevel, ownerChecked, known];
  return d.reason;
}
