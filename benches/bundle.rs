//! Bundle figures: bytes per token, build, load (signature check included), lookups and memory
//! after load, for synthetic states of 10k, 100k and 1M tokens. Prints figures; asserts
//! nothing about time (timed tests are flaky; DESIGN.md §7).
//!
//! ```text
//! cargo bench --bench bundle                 # 10k, 100k, 1M
//! cargo bench --bench bundle -- 10000 50000  # chosen sizes
//! cargo bench --bench bundle -- --out DIR 1000000
//! ```
//!
//! `--out DIR` also keeps `DIR/bundle-<n>.bin` and its public key `DIR/bundle-<n>.pub`
//! (base64url) for measurements elsewhere (Node through the wasm package): the bundles are
//! valid from 2026-11-22T10:00:00Z for a day, token `i` has the secret `bench-secret-<i>`.
//!
//! Memory after load is measured in a fresh child process (this binary re-run with `--load`),
//! so allocator reuse from the build does not hide what loading costs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use scopegate::{
    build_bundle, digest_hex, digest_token, inspect_bundle, BundleBuilder, CompiledState, Engine, PrivateKey, Request,
    Timestamp,
};

const ISSUED: i64 = 1_795_341_600; // 2026-11-22T10:00:00Z
const DAY: i64 = 86_400;

/// A small deterministic generator (xorshift64*): the same figures from run to run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn secret(i: usize) -> String {
    format!("bench-secret-{i}")
}

/// A state of `n` tokens shaped like a real estate: a few thousand principals, a few thousand
/// repositories, a few dozen scope combinations, most tokens expiring N days after creation.
fn state_json(n: usize) -> String {
    let (mut head, ndjson) = estate(n);
    head.truncate(head.len() - 1);
    head.push_str(r#","tokens":["#);
    head.push_str(&ndjson.trim_end().replace('\n', ","));
    head.push_str("]}");
    head
}

/// The same estate as a state without tokens and its tokens as NDJSON (one object per line).
fn estate(n: usize) -> (String, String) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
    let workspaces = 40;
    let projects_per_ws = 5;
    let repos = 3000;
    let users = 3000;
    let service_accounts = 200;
    let mut s = String::with_capacity(n * 330 + 1_000_000);
    let t = |secs: i64| Timestamp::from_unix_seconds(secs).to_string();
    write!(s, r#"{{"issued_at":"{}","resources":{{"workspaces":["#, t(ISSUED)).unwrap();
    for w in 0..workspaces {
        write!(s, r#"{}{{"slug":"ws{w}"}}"#, if w > 0 { "," } else { "" }).unwrap();
    }
    s.push_str(r#"],"projects":["#);
    for w in 0..workspaces {
        for p in 0..projects_per_ws {
            write!(s, r#"{}{{"workspace":"ws{w}","key":"P{p}"}}"#, if w + p > 0 { "," } else { "" }).unwrap();
        }
    }
    s.push_str(r#"],"repositories":["#);
    for r in 0..repos {
        write!(
            s,
            r#"{}{{"workspace":"ws{}","slug":"repo-{r}","project":"P{}","public":{}}}"#,
            if r > 0 { "," } else { "" },
            r % workspaces,
            r % projects_per_ws,
            r % 17 == 0
        )
        .unwrap();
    }
    s.push_str(r#"]},"principals":["#);
    for u in 0..users {
        let status = if u % 50 == 0 { "deactivated" } else { "active" };
        write!(s, r#"{}{{"id":"u-{u:05}","kind":"user","email":"user{u}@example.test","status":"{status}","groups":["{}"],"two_factor":{},"permissions":[{{"resource":"ws{}","level":"{}"}}]}}"#,
            if u > 0 { "," } else { "" }, ["developers", "contractors", "admins"][u % 3], u % 4 != 0, u % workspaces, ["read", "write", "admin"][u % 3]).unwrap();
    }
    for a in 0..service_accounts {
        write!(
            s,
            r#",{{"id":"sa-{a:04}","kind":"service_account","permissions":[{{"resource":"ws{}","level":"write"}}]}}"#,
            a % workspaces
        )
        .unwrap();
    }
    s.push_str(r#"],"policies":[{"name":"contractors","members":{"groups":["contractors"]},"max_token_lifetime_days":90,"app_passwords":"block"}]}"#);
    let head = s;
    let mut s = String::with_capacity(n * 330);
    let scope_sets: &[&[&str]] = &[
        &["repository"],
        &["repository:write"],
        &["repository", "pullrequest"],
        &["repository:write", "pullrequest:write"],
        &["pipeline", "repository"],
        &["pipeline:write", "repository:write"],
        &["account"],
        &["repository:admin"],
        &["project", "repository"],
        &["issue", "repository"],
        &["read:repository:bitbucket"],
        &["read:repository:bitbucket", "write:repository:bitbucket"],
        &["read:pullrequest:bitbucket", "read:repository:bitbucket"],
        &["snippet", "account"],
        &["webhook", "repository"],
    ];
    let labels = ["CI deploy", "laptop", "release bot", "backup", "terraform", "renovate", "local dev", "jenkins"];
    for i in 0..n {
        let roll = rng.below(100);
        let kind = match roll {
            0..=29 => "api_token",
            30..=44 => "personal_access_token",
            45..=54 => "app_password",
            55..=79 => "repository_access_token",
            80..=84 => "project_access_token",
            85..=89 => "workspace_access_token",
            90..=96 => "service_account_token",
            _ => "org_api_key",
        };
        write!(s, r#"{{"id":"t-{i:06}","kind":"{kind}","secret_sha256":"{}""#, digest_hex(&digest_token(&secret(i))))
            .unwrap();
        let user = rng.below(users as u64);
        match kind {
            "api_token" | "personal_access_token" | "app_password" => {
                write!(s, r#","principal":"u-{user:05}""#).unwrap()
            }
            "service_account_token" => {
                write!(s, r#","principal":"sa-{:04}""#, rng.below(service_accounts as u64)).unwrap()
            }
            "repository_access_token" => {
                let r = rng.below(repos as u64);
                write!(s, r#","resource":"ws{}/repo-{r}""#, r % workspaces as u64).unwrap();
            }
            "project_access_token" => {
                write!(s, r#","resource":"ws{}/P{}""#, rng.below(workspaces as u64), rng.below(projects_per_ws as u64))
                    .unwrap()
            }
            "workspace_access_token" => write!(s, r#","resource":"ws{}""#, rng.below(workspaces as u64)).unwrap(),
            _ => {}
        }
        if rng.below(100) < 30 {
            write!(s, r#","label":"{}""#, rng.pick(&labels)).unwrap();
        }
        if kind == "app_password" || rng.below(100) < 5 {
            write!(s, r#","access":"{}""#, if rng.below(2) == 0 { "read_only" } else { "read_write" }).unwrap();
        } else {
            let set = rng.pick(scope_sets);
            write!(s, r#","scopes":[{}]"#, set.iter().map(|x| format!("\"{x}\"")).collect::<Vec<_>>().join(","))
                .unwrap();
        }
        let created = ISSUED - rng.below(365 * DAY as u64) as i64;
        write!(s, r#","created_at":"{}""#, t(created)).unwrap();
        match rng.below(100) {
            0..=19 => {}
            20..=29 => write!(s, r#","expires_at":"{}""#, t(created + 1 + rng.below(400 * DAY as u64) as i64)).unwrap(),
            _ => write!(s, r#","expires_at":"{}""#, t(created + DAY * *rng.pick(&[7, 30, 60, 90, 180, 365]))).unwrap(),
        }
        if matches!(kind, "repository_access_token" | "project_access_token" | "workspace_access_token" | "org_api_key")
        {
            write!(s, r#","created_by":"u-{:05}""#, rng.below(users as u64)).unwrap();
        } else if kind != "service_account_token" {
            write!(s, r#","created_by":"u-{user:05}""#).unwrap();
        }
        if rng.below(100) < 3 {
            write!(s, r#","revoked_at":"{}""#, t(ISSUED - rng.below(30 * DAY as u64) as i64)).unwrap();
        }
        if rng.below(100) < 5 {
            s.push_str(r#","allowed_ips":["203.0.113.0/24","2001:db8::/32"]"#);
        }
        s.push_str("}\n");
    }
    (head, s)
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn key() -> PrivateKey {
    PrivateKey::from_bytes(&[42u8; 32])
}

/// The child: load the bundle file in a fresh process and report timings and memory.
fn child(path: &str, n: usize) {
    let before = rss_kib();
    let bytes = std::fs::read(path).unwrap();
    let with_bytes = rss_kib();
    let keys = [key().public_key()];
    let now = Timestamp::from_unix_seconds(ISSUED + 60);
    let started = Instant::now();
    let info = inspect_bundle(&bytes, &keys).unwrap();
    let verify = started.elapsed();
    let started = Instant::now();
    let engine = Engine::load_owned(bytes, &keys, now).unwrap();
    let load = started.elapsed();
    let after = rss_kib();
    // Lookups: the digest search and one record decode, for known and unknown digests.
    let probes = 200_000.min(n * 4);
    let mut rng = Rng(7);
    let digests: Vec<[u8; 32]> = (0..probes).map(|_| digest_token(&secret(rng.below(n as u64) as usize))).collect();
    let tokens = engine.snapshot();
    let started = Instant::now();
    let mut found = 0usize;
    for d in &digests {
        found += usize::from(tokens.token(d).is_some());
    }
    let lookup = started.elapsed() / probes as u32;
    assert_eq!(found, probes);
    let missing: Vec<[u8; 32]> = (0..probes).map(|i| digest_token(&format!("missing-{i}"))).collect();
    let started = Instant::now();
    let mut false_hits = 0usize;
    for d in &missing {
        false_hits += usize::from(tokens.token(d).is_some());
    }
    let miss = started.elapsed() / probes as u32;
    assert_eq!(false_hits, 0);
    let checks = 50_000.min(n);
    let requests: Vec<Request> = (0..checks)
        .map(|_| {
            Request::new("GET", "/2.0/repositories/ws1/repo-41")
                .header("Authorization", &format!("Bearer {}", secret(rng.below(n as u64) as usize)))
        })
        .collect();
    let started = Instant::now();
    let mut allowed = 0usize;
    for r in &requests {
        allowed += usize::from(engine.check(r, now).allow);
    }
    let check = started.elapsed() / checks as u32;
    let parts: Vec<_> = requests.iter().map(Request::parts).collect();
    let started = Instant::now();
    let mut decided = 0usize;
    for p in &parts {
        decided += usize::from(engine.decide(p, now).allow());
    }
    let decide = started.elapsed() / checks as u32;
    assert_eq!(decided, allowed, "decide and check agree");
    println!(
        "  load: verify+layout {} (inspect), Engine::load {}; lookup {} ns hit, {} ns miss; check {:.2} µs, decide {:.2} µs ({} of {} allowed)",
        ms(verify), ms(load), lookup.as_nanos(), miss.as_nanos(), check.as_secs_f64() * 1e6, decide.as_secs_f64() * 1e6, allowed, checks
    );
    println!(
        "  memory: RSS {:.1} MiB before, +{:.1} MiB after reading the bytes, +{:.1} MiB more after load (bundle {:.1} MiB, {} tokens)",
        before as f64 / 1024.0,
        (with_bytes - before) as f64 / 1024.0,
        after.saturating_sub(with_bytes) as f64 / 1024.0,
        info.bytes as f64 / 1_048_576.0,
        info.tokens
    );
}

fn run(n: usize, out: Option<&str>) {
    println!("{n} tokens");
    let started = Instant::now();
    let json = state_json(n);
    let generate = started.elapsed();
    let started = Instant::now();
    let state = CompiledState::from_json(&json).unwrap();
    let parse = started.elapsed();
    drop(json);
    let started = Instant::now();
    let bytes = build_bundle(&state, &key(), 86_400).unwrap();
    let build = started.elapsed();
    let info = inspect_bundle(&bytes, &[key().public_key()]).unwrap();
    let s = &info.sections;
    println!(
        "  size: {} bytes, {:.2} bytes/token (prefixes 16, blocks {:.2}, records {:.2}; tables {} B, meta {} B)",
        bytes.len(),
        bytes.len() as f64 / n as f64,
        s.blocks as f64 / n as f64,
        s.records as f64 / n as f64,
        s.strings + s.resources + s.scope_sets + s.ip_lists,
        s.meta
    );
    println!(
        "  build: state JSON generated {}, parsed+checked {}, build_bundle {} (sign included)",
        ms(generate),
        ms(parse),
        ms(build)
    );
    drop(state);
    // The same estate streamed: the state without tokens, then the tokens as NDJSON in 1 MiB
    // chunks (lines split anywhere), then the signature. The same bytes.
    let (head, ndjson) = estate(n);
    let started = Instant::now();
    let mut builder = BundleBuilder::new(&head, "tokens.ndjson").unwrap();
    for chunk in ndjson.as_bytes().chunks(1 << 20) {
        builder.add_ndjson(chunk).unwrap();
    }
    let streamed = builder.finish(&key(), 86_400).unwrap();
    let stream = started.elapsed();
    assert!(streamed == bytes, "the streamed bundle differs from build_bundle's");
    println!(
        "  build from NDJSON ({:.1} MiB in 1 MiB chunks): {} (parse, check, sign)",
        ndjson.len() as f64 / 1_048_576.0,
        ms(stream)
    );
    drop((head, ndjson, streamed));
    if let Some(dir) = out {
        let dir = std::path::Path::new(dir);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(format!("bundle-{n}.bin")), &bytes).unwrap();
        std::fs::write(dir.join(format!("bundle-{n}.pub")), key().public_key().to_string()).unwrap();
    }
    let path = std::env::temp_dir().join(format!("scopegate-bench-{n}-{}.bundle", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    drop(bytes);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--load", path.to_str().unwrap(), &n.to_string()])
        .output()
        .unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let _ = std::fs::remove_file(&path);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("--load") {
        child(&args[1], args[2].parse().unwrap());
        return;
    }
    let out = args.iter().position(|a| a == "--out").and_then(|i| args.get(i + 1)).cloned();
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000, 1_000_000] } else { sizes };
    for n in sizes {
        run(n, out.as_deref());
    }
}
