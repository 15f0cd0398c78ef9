// Policy proposals: what the editor starts from, the quick toggles, and applying a proposal to
// the working state. A proposal is `{ policies, default_policy }` (DESIGN.md §2), optionally
// with `network` / `token_permissions`, or a whole state (it has `issued_at`).

/** The default policy when a state names none (the engine's defaults, DESIGN.md §2). */
export const DEFAULT_POLICY = Object.freeze({
  api_tokens: "allow",
  app_passwords: "allow",
  password_auth: "allow",
  max_token_lifetime_days: 365,
  ip_allowlist: [],
});

/** The top-level keys a policy change may carry; anything else makes it a whole state. */
const CHANGE_KEYS = ["policies", "default_policy", "network", "token_permissions", "unknown_route"];

/** The editor's starting text: the policies of `source` (a state, or `engine.policies()`). */
export function proposalFrom(source) {
  return {
    policies: structuredClone(source?.policies ?? []),
    default_policy: structuredClone(source?.default_policy ?? DEFAULT_POLICY),
  };
}

/** The state after applying `proposal` to `state`: a whole state replaces it, a change replaces the keys it names. */
export function applyProposal(state, proposal) {
  if ("issued_at" in proposal) return structuredClone(proposal);
  const next = structuredClone(state);
  for (const key of CHANGE_KEYS) if (key in proposal) next[key] = structuredClone(proposal[key]);
  return next;
}

/** The policy the toggles edit: `"default"` or the index of a listed policy. */
export function targetPolicy(proposal, target) {
  if (target === "default") {
    proposal.default_policy ??= {};
    return proposal.default_policy;
  }
  const policy = proposal.policies?.[Number(target)];
  if (!policy) throw new Error(`policies[${target}]: no such policy in the editor`);
  return policy;
}

/** The toggles' names, their fields in a policy, and how they read and write them. */
export const TOGGLES = [
  { id: "t-api-tokens", field: "api_tokens", type: "switch", on: "block", off: "allow" },
  { id: "t-app-passwords", field: "app_passwords", type: "switch", on: "block", off: "allow" },
  { id: "t-password-auth", field: "password_auth", type: "switch", on: "disable", off: "allow" },
  { id: "t-max-lifetime", field: "max_token_lifetime_days", type: "number" },
  { id: "t-ip-allowlist", field: "ip_allowlist", type: "list" },
  { id: "t-revoke-before", field: "revoke_issued_before", type: "text" },
];

/** The toggle's control value for a policy. */
export function readToggle(toggle, policy) {
  const value = policy?.[toggle.field];
  switch (toggle.type) {
    case "switch":
      return value === toggle.on;
    case "number":
      return value == null ? "" : String(value);
    case "list":
      return Array.isArray(value) ? value.join(", ") : "";
    default:
      return value == null ? "" : String(value);
  }
}

/** Writes a control value into the policy; an empty field removes the key (the engine's default). */
export function writeToggle(toggle, policy, value) {
  switch (toggle.type) {
    case "switch":
      policy[toggle.field] = value ? toggle.on : toggle.off;
      return;
    case "number": {
      const text = String(value).trim();
      if (text === "") delete policy[toggle.field];
      else if (/^\d+$/.test(text)) policy[toggle.field] = Number(text);
      else throw new Error(`${toggle.field}: expected a whole number of days, got \`${text}\``);
      return;
    }
    case "list":
      policy[toggle.field] = String(value).split(/[\s,]+/).filter(Boolean);
      return;
    default: {
      const text = String(value).trim();
      if (text === "") delete policy[toggle.field];
      else policy[toggle.field] = text;
    }
  }
}

/** Checks a pasted replay log; returns the list, or throws an Error naming the bad entry. */
export function parseReplay(text) {
  if (!text.trim()) return undefined;
  let list;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw new Error(`replay: not JSON (${e.message})`);
  }
  if (!Array.isArray(list)) throw new Error("replay: expected a JSON list of {tokenId, method, url, remoteAddr?}");
  list.forEach((r, i) => {
    if (r === null || typeof r !== "object" || typeof r.tokenId !== "string" || typeof r.url !== "string") {
      throw new Error(`replay[${i}]: expected {tokenId, method, url, remoteAddr?} with string tokenId and url`);
    }
  });
  return list;
}
