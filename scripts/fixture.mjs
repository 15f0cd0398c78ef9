// A small, realistic state (DESIGN.md §3) with freshly minted tokens, for the tests in every
// runtime and for the demo. Secrets exist only in the returned `tokens`; the state holds their
// SHA-256 digests, as a real export would.
//
//   const { state, tokens } = makeFixture({ mintToken, now: Date.now() });

const DAY = 86_400_000;

/** RFC 3339, whole seconds, UTC. */
export const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/**
 * @param {{ mintToken: (kind: string) => { token: string, sha256: string }, now?: number }} options
 * @returns {{ state: object, tokens: Record<string, string>, now: number }}
 */
export function makeFixture({ mintToken, now = Date.now() }) {
  const tokens = {};
  const records = [];
  // Every token was made a month ago and lives for a year at most, within the default policy.
  const token = (name, record) => {
    const minted = mintToken(record.kind);
    tokens[name] = minted.token;
    records.push({
      id: name,
      secret_sha256: minted.sha256,
      created_at: iso(now - 30 * DAY),
      expires_at: iso(now + 300 * DAY),
      created_by: "u-mary",
      ...record,
    });
  };

  token("web-read", {
    kind: "repository_access_token",
    label: "dashboard (read)",
    resource: "acme/web",
    scopes: ["repository"],
  });
  token("web-deploy", {
    kind: "repository_access_token",
    label: "CI deploy",
    resource: "acme/web",
    scopes: ["repository:write", "pullrequest:write", "pipeline"],
  });
  token("mary-readonly", {
    kind: "api_token",
    label: "mary's laptop (read only)",
    principal: "u-mary",
    access: "read_only",
  });
  token("old-ci", {
    kind: "repository_access_token",
    label: "old CI (revoked)",
    resource: "acme/web",
    scopes: ["repository"],
    revoked_at: iso(now - 2 * DAY),
  });
  token("expired", {
    kind: "repository_access_token",
    label: "last quarter's job",
    resource: "acme/web",
    scopes: ["repository"],
    created_at: iso(now - 100 * DAY),
    expires_at: iso(now - DAY),
  });
  // Minted like the others, never exported: the engine must not know it.
  tokens.unknown = mintToken("repository_access_token").token;

  const state = {
    issued_at: iso(now - 3_600_000),
    profile: "bitbucket-cloud",
    resources: {
      workspaces: [{ slug: "acme" }],
      projects: [{ workspace: "acme", key: "PROJ" }],
      repositories: [
        { workspace: "acme", slug: "web", project: "PROJ", public: false },
        { workspace: "acme", slug: "docs", project: "PROJ", public: true },
      ],
    },
    principals: [
      {
        id: "u-mary",
        kind: "user",
        email: "mary@acme.test",
        status: "active",
        groups: ["developers"],
        two_factor: true,
        permissions: [{ resource: "acme/web", level: "write" }],
      },
    ],
    tokens: records,
    policies: [],
    default_policy: {
      api_tokens: "allow",
      app_passwords: "allow",
      password_auth: "allow",
      max_token_lifetime_days: 365,
      ip_allowlist: [],
    },
    network: { trusted_proxies: ["127.0.0.0/8"], client_ip_header: "x-forwarded-for" },
  };
  return { state, tokens, now };
}

/** The same token with one character of its random part changed: a typo the checksum catches. */
export function typo(token) {
  const at = 10;
  const c = token[at] === "A" ? "B" : "A";
  return token.slice(0, at) + c + token.slice(at + 1);
}
