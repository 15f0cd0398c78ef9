// The text of `scopegate --help`. Examples never put a token or a private key in argv: tokens
// come from an environment variable (--token-env) or stdin (--token -), keys from files.

export const USAGE = `usage: scopegate <command> [options]

keys and tokens
  keygen [--out <prefix>]             a new Ed25519 key pair, typed (scopegate-ed25519-public:...,
                                      scopegate-ed25519-private:...); with --out, writes
                                      <prefix>.key (private, mode 0600) and <prefix>.pub
  mint <kind>                         a new token, shown once, and its SHA-256
  digest --token-env <NAME> | --token -
                                      SHA-256 of a token (a state's secret_sha256)

bundles
  build <state.json> --key <file> --out <bundle>
                                      sign a bundle of a state (a progress bar on a terminal)
  build <state.json> --tokens <tokens.ndjson> --key <file> --out <bundle>
                                      the same, with the token list as NDJSON (one token
                                      object a line, streamed): for estates of millions of
                                      tokens; the state's own "tokens" come first
  delta <base-bundle> <state.json> --key <file> --out <delta>
                                      sign a delta that turns the base bundle into the state
  delta <base-bundle> --changes <changes.json> --key <file> --out <delta>
                                      sign a delta applying changes (revoke, remove, upsert,
                                      policies) to the base bundle; changes are against the base
  revoke <base-bundle> <token-id>... --key <file> --out <delta>
                                      sign a delta revoking tokens now (or at --now). A delta
                                      replaces the one before it: list every token revoked
                                      since the base bundle, or build a new bundle
  inspect <bundle> --public-key <key> verify a bundle or delta and show its header and sections;
                                      exit 2 when it has expired (--json: "expired": true)
    --key <file>                      the private key (or env SCOPEGATE_PRIVATE_KEY); a public
                                      key here is an error
    --public-key <key|file>           a public key, or a file holding one; repeat while rotating
                                      (or env SCOPEGATE_PUBLIC_KEY)
    --ttl <seconds>                   how long the bundle is trusted (default 86400, a day).
                                      expires_at = the state's issued_at + ttl, never the build
                                      time + ttl (the same state and key give the same bytes),
                                      so an old export with a short ttl is stale at once
    --strict                          fail (exit 2, nothing written) when the bundle or delta
                                      is already expired or expires within the hour; without
                                      it, a warning on stderr
    --out <file>                      written atomically (a temporary file, then renamed);
                                      nothing is written on an error. "-" writes to stdout
    --progress, --no-progress         force the progress display on or off

decisions and admin questions, over --state <state.json> or --bundle <bundle> --public-key <key>
[--delta <delta>]
  check <url>                         decide one request
  explain <url>                       decide one request and print every pipeline step
    -X, --method <method>             default GET
    -H, --header "<name>: <value>"    repeatable
    --token-env <NAME>                the token from an environment variable: sent as
                                      "Authorization: Bearer <token>"
    --token -                         the token from stdin (--token <token> works too, but
                                      leaves it in the shell history and the process list)
    --remote-addr <ip>                the TCP peer: an IP address
  preview <proposal.json>             what a proposed state or policy change would do (a policy
                                      change may be { default_policy } alone)
    --replay <requests.json>          past requests ([{ tokenId, method, url, ... }]) to replay
    --at <time>                       as of a later time: tokens aged to then (lifetime caps)
    --horizon <days>                  as of <days> from now, with a timeline of what the change
                                      denies along the way
  audit                               expiring, orphaned, unbounded, over-broad tokens; no 2FA;
                                      the summary by kind first, then the findings
    --expiring-within <days>          the window for expiring tokens (default 30)
    --kind <kind>                     only findings of this kind (repeatable, or a,b)
    --limit <n>                       list at most n findings (default 50; --json: all)
  can-create <actor-id> <kind>        may the actor create this token?
    --scope <scope>                   repeatable, or a,b
    --resource <ref>, --access <mode>, --principal <id>, --expires-at <time>
  can-revoke <actor-id> <token-id>    may the actor revoke this token?
  info                                counts and times of the snapshot
    --now <RFC 3339 | ms>             decide (and check bundle expiry) as of this time

profiles
  profile --from-openapi <spec.json> [--name <name>] [--out <file>]
                                      a profile (scopes, routes) from an OpenAPI 3 document

  --json                              machine-readable output on stdout
  -h, --help, --version

examples
  scopegate keygen --out ci
  scopegate build state.json --key ci.key --out bundle.bin --strict
  TOKEN=... scopegate check --bundle bundle.bin --public-key ci.pub --token-env TOKEN /2.0/repositories/acme/web
  scopegate revoke bundle.bin t-41 t-42 --key ci.key --out revoke.delta

exit codes
  0  allowed; or done, with nothing to report (no findings, no changes)
  1  denied (check, explain, can-create, can-revoke); findings (audit); tokens or requests
     that change (preview)
  2  bad usage or bad input: a missing or unreadable file, a state or spec error (with its
     JSON path), a key of the wrong kind, a bundle that does not verify or has expired
     (inspect, and build --strict)
  3  deferred to the origin (check, explain: passwords, unknown routes when so configured)`;
