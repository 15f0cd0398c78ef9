//! The streaming bundle builder: a state without tokens, then the tokens as NDJSON chunks.
//! Same bytes as `build_bundle` of the whole state, wherever the chunks split; errors that name
//! the line; duplicates found across chunks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod bundle_support;

use bundle_support::*;
use proptest::prelude::*;
use scopegate::{BundleBuilder, Error};
use serde_json::{json, Value};

/// The state without its tokens, and the tokens as NDJSON text.
fn split(state: &Value) -> (String, String) {
    let mut rest = state.clone();
    let tokens = rest.as_object_mut().unwrap().remove("tokens").unwrap_or(json!([]));
    let ndjson: String = tokens.as_array().unwrap().iter().map(|t| format!("{t}\n")).collect();
    (rest.to_string(), ndjson)
}

fn stream(state: &str, chunks: &[&[u8]]) -> Result<Vec<u8>, Error> {
    let mut builder = BundleBuilder::new(state, "tokens.ndjson")?;
    for chunk in chunks {
        builder.add_ndjson(chunk)?;
    }
    builder.finish(&private_key(1), TTL)
}

fn error_of(state: &str, chunks: &[&[u8]]) -> String {
    stream(state, chunks).unwrap_err().to_string()
}

fn base() -> String {
    split(&small_state()).0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn same_bytes_as_build_bundle_wherever_the_chunks_split(
        (state, _) in random_state(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let want = build(&state);
        let (rest, ndjson) = split(&state);
        let bytes = ndjson.as_bytes();
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        at.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for to in at {
            chunks.push(&bytes[from..to]);
            from = to;
        }
        chunks.push(&bytes[from..]);
        prop_assert_eq!(stream(&rest, &chunks).unwrap(), want);
    }
}

#[test]
fn one_byte_at_a_time_and_all_at_once_agree() {
    let state = small_state();
    let want = build(&state);
    let (rest, ndjson) = split(&state);
    let bytes: Vec<&[u8]> = ndjson.as_bytes().chunks(1).collect();
    assert_eq!(stream(&rest, &bytes).unwrap(), want);
    assert_eq!(stream(&rest, &[ndjson.as_bytes()]).unwrap(), want);
    // The state's own tokens, some in the state and the rest streamed: the same bundle too.
    let mut half = state.clone();
    let tokens = half["tokens"].as_array_mut().unwrap();
    let streamed: String = tokens.split_off(2).iter().map(|t| format!("{t}\n")).collect();
    assert_eq!(stream(&half.to_string(), &[streamed.as_bytes()]).unwrap(), want);
}

#[test]
fn crlf_blank_lines_a_bom_and_no_final_newline() {
    let state = small_state();
    let want = build(&state);
    let (rest, _) = split(&state);
    let lines: Vec<String> = state["tokens"].as_array().unwrap().iter().map(Value::to_string).collect();
    let text = format!("\u{feff}{}\r\n\r\n  \n{}\r\n{}\n\n{}", lines[0], lines[1], lines[2], lines[3]);
    assert_eq!(stream(&rest, &[text.as_bytes()]).unwrap(), want);
}

#[test]
fn a_character_split_across_chunks_is_read_whole() {
    let (rest, _) = split(&small_state());
    let line = r#"{"id": "t-ü", "kind": "org_api_key", "secret": "s-1", "label": "café ☕", "created_at": "2026-11-01T00:00:00Z"}"#;
    let bytes = line.as_bytes();
    let at = line.find('☕').unwrap() + 1; // inside the three bytes of ☕
    let bundle = stream(&rest, &[&bytes[..at], &bytes[at..]]).unwrap();
    let engine = load(&bundle);
    let record = engine.snapshot().token(&scopegate::digest_token("s-1")).unwrap();
    assert_eq!(record.label.as_deref(), Some("café ☕"));
    assert_eq!(record.id, "t-ü");
}

#[test]
fn a_bad_line_names_its_line_and_field() {
    let rest = base();
    let good = r#"{"id": "t-1", "kind": "org_api_key", "secret": "s-1"}"#;
    let bad = r#"{"id": "t-2", "kind": "org_api_key", "secret": "s-2", "expires_at": "tomorrow"}"#;
    let text = format!("{good}\n\n{bad}\n");
    assert_eq!(
        error_of(&rest, &[text.as_bytes()]),
        r#"tokens.ndjson:3: expires_at: expected an RFC 3339 time, got "tomorrow""#
    );
    // Split inside the bad line: the same error, at the same line.
    let (a, b) = text.as_bytes().split_at(good.len() + 10);
    assert_eq!(error_of(&rest, &[a, b]), r#"tokens.ndjson:3: expires_at: expected an RFC 3339 time, got "tomorrow""#);
    // The state reader's own errors for the same token, with the line for the JSON path.
    let cases = [
        r#"{"id": "t-3", "kind": "api_token", "secret": "s", "principal": "u-nobody"}"#,
        r#"{"id": "t-3", "kind": "org_api_key", "secret": "s", "scopes": ["repository", "nope"]}"#,
        r#"{"id": "t-3", "kind": "org_api_key", "secret": "s", "expires_on": "x"}"#,
        r#"{"id": "t-3", "kind": "org_api_key"}"#,
        r#"{"id": "t-3", "kind": "nope", "secret": "s"}"#,
        r#"{"id": "t-3", "kind": "repository_access_token", "secret": "s", "resource": "acme"}"#,
        r#"{"id": "t-3", "kind": "org_api_key", "secret": "s", "allowed_ips": ["10.0.0.0/8", "nope"]}"#,
        r#"{"id": "", "kind": "org_api_key", "secret": "s"}"#,
        r#"{"id": "t-3", "kind": "org_api_key", "secret": "s", "created_at": "2026-11-02T00:00:00Z", "expires_at": "2026-11-01T00:00:00Z"}"#,
        r#"["not", "an", "object"]"#,
        "17",
    ];
    for line in cases {
        let mut whole = small_state();
        whole["tokens"] = json!([serde_json::from_str::<Value>(line).unwrap()]);
        let state_error = scopegate::CompiledState::from_json(&whole.to_string()).unwrap_err().to_string();
        let want = match state_error.strip_prefix("tokens[0]") {
            Some(rest) => {
                format!("tokens.ndjson:1{}", rest.strip_prefix('.').map_or(rest.to_string(), |r| format!(": {r}")))
            }
            None => format!("tokens.ndjson:1: {}", state_error.strip_prefix("tokens: ").unwrap()),
        };
        assert_eq!(error_of(&rest, &[line.as_bytes()]), want, "{line}");
    }
    assert!(error_of(&rest, &[b"{\"id\": \"t-3\",\n"]).starts_with("tokens.ndjson:1: not valid JSON: "));
    assert_eq!(error_of(&rest, &[b"{\"id\": \"\xff\"}\n"]), "tokens.ndjson:1: not UTF-8 text");
}

#[test]
fn a_secret_is_never_quoted_in_an_error() {
    let line = r#"{"id": "t-1", "kind": "org_api_key", "secret_sha256": "sga_TopSecretValueThatIsNotHex"}"#;
    let error = error_of(&base(), &[line.as_bytes()]);
    assert!(error.starts_with("tokens.ndjson:1: secret_sha256: "), "{error}");
    assert!(!error.contains("TopSecret"), "{error}");
}

#[test]
fn after_an_error_the_builder_refuses_everything() {
    let mut builder = BundleBuilder::new(&base(), "tokens.ndjson").unwrap();
    assert!(builder.add_ndjson(b"{}\n").is_err());
    let good = br#"{"id": "t-1", "kind": "org_api_key", "secret": "s-1"}"#;
    let again = builder.add_ndjson(good).unwrap_err().to_string();
    assert_eq!(again, "this bundle builder stopped at an earlier error");
    assert_eq!(builder.finish(&private_key(1), TTL).unwrap_err().to_string(), again);
}

#[test]
fn duplicates_across_chunks_name_the_later_line() {
    let rest = base();
    let t = |id: &str, secret: &str| format!(r#"{{"id": "{id}", "kind": "org_api_key", "secret": "{secret}"}}"#) + "\n";
    let (a, b, c) = (t("t-1", "s-1"), t("t-2", "s-2"), t("t-1", "s-3"));
    assert_eq!(
        error_of(&rest, &[a.as_bytes(), b.as_bytes(), c.as_bytes()]),
        r#"tokens.ndjson:3: id: duplicate token id "t-1""#
    );
    let d = t("t-4", "s-2");
    assert_eq!(
        error_of(&rest, &[a.as_bytes(), b.as_bytes(), d.as_bytes()]),
        "tokens.ndjson:3: same secret digest as line 2: every token needs its own secret"
    );
    // Two problems: the one on the earlier line is reported.
    let e = t("t-2", "s-9");
    assert_eq!(
        error_of(&rest, &[a.as_bytes(), b.as_bytes(), d.as_bytes(), e.as_bytes()]),
        "tokens.ndjson:3: same secret digest as line 2: every token needs its own secret"
    );
    // Against a token the state itself lists.
    let with_token = small_state().to_string();
    let mary = t("t-9", "secret-t-mary");
    assert_eq!(
        error_of(&with_token, &[mary.as_bytes()]),
        r#"tokens.ndjson:1: same secret digest as the state's token "t-mary": every token needs its own secret"#
    );
    let org = t("t-org", "s-new");
    assert_eq!(error_of(&with_token, &[org.as_bytes()]), r#"tokens.ndjson:1: id: duplicate token id "t-org""#);
}

#[test]
fn a_line_without_end_is_refused_at_its_limit() {
    let mut builder = BundleBuilder::new(&base(), "big.ndjson").unwrap();
    let chunk = vec![b' '; 600 * 1024];
    builder.add_ndjson(&chunk).unwrap();
    assert_eq!(
        builder.add_ndjson(&chunk).unwrap_err().to_string(),
        "big.ndjson:1: a line longer than 1048576 bytes: expected one token object per line"
    );
}

#[test]
fn state_errors_and_ttl_are_the_state_readers() {
    let bad = r#"{"issued_at": "tomorrow"}"#;
    let err = BundleBuilder::new(bad, "t.ndjson").unwrap_err();
    assert_eq!(err, scopegate::CompiledState::from_json(bad).unwrap_err());
    let builder = BundleBuilder::new(&base(), "t.ndjson").unwrap();
    assert_eq!(builder.finish(&private_key(1), 0).unwrap_err().to_string(), "ttl_seconds must be at least 1");
}

#[test]
fn an_empty_token_list_builds_the_empty_bundle() {
    let state = json!({"issued_at": ISSUED, "resources": resources(), "principals": principals()});
    let want = build(&state);
    assert_eq!(stream(&state.to_string(), &[]).unwrap(), want);
    assert_eq!(stream(&state.to_string(), &[b"\n\n"]).unwrap(), want);
}

/// A minted token: only `secret` may hold one.
const MINTED: &str = r#""sga_0El6XFXwsUFD8J2vGxsaboW7rZYnQRBP5d9erwRwd291Kwdui""#;

/// Each token field: good values, values of the wrong type or shape, `null`, a secret.
const FIELDS: &[(&str, &[&str])] = &[
    ("id", &[r#""t-1""#, r#""t-\u00fc\"x""#, r#""""#, "7", "null", MINTED]),
    ("kind", &[r#""org_api_key""#, r#""api_token""#, r#""repository_access_token""#, r#""nope""#, "[]", "null"]),
    ("label", &[r#""laptop""#, r#""caf\u00e9 \\ \"q\"""#, "1", "null", MINTED]),
    ("secret", &[r#""s-1""#, r#""""#, "{}", "null", MINTED]),
    ("secret_sha256", &[r#""0b8b6f4c1b5a2f3e5e7e8c2d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a""#, r#""abc""#, "null"]),
    ("principal", &[r#""u-mary""#, r#""sa-ci""#, r#""u-nobody""#, "false", "null", MINTED]),
    ("resource", &[r#""acme""#, r#""acme/web""#, r#""acme/nope""#, "null", MINTED]),
    (
        "scopes",
        &[
            r#"["repository"]"#,
            r#"["pullrequest", "repository", "pullrequest"]"#,
            r#"["nope"]"#,
            "[null]",
            r#""repository""#,
            "[]",
            "null",
        ],
    ),
    ("access", &[r#""read_only""#, r#""write""#, "null"]),
    ("created_at", &[r#""2026-11-01T00:00:00Z""#, r#""2026-11-01T00:00:00.5+02:00""#, r#""tomorrow""#, "1", "null"]),
    ("expires_at", &[r#""2026-12-01T00:00:00Z""#, r#""2026-10-01T00:00:00Z""#, r#""2026-13-01T00:00:00Z""#, "null"]),
    ("created_by", &[r#""u-mary""#, "[]", "null", MINTED]),
    ("allowed_ips", &[r#"["203.0.113.0/24", "2001:db8::1"]"#, r#"["nope"]"#, r#""10.0.0.0/8""#, "null"]),
    ("revoked_at", &[r#""2026-11-20T00:00:00Z""#, r#""yesterday""#, "null"]),
    ("expires_on", &[r#""x""#]),
];

/// A token object of random fields, sometimes one given twice.
fn token_object() -> impl Strategy<Value = String> {
    let fields: Vec<_> = FIELDS
        .iter()
        .map(|(name, values)| {
            let present = if *name == "expires_on" { 0.05 } else { 0.6 };
            proptest::option::weighted(present, proptest::sample::select(values.to_vec())).prop_map(move |v| (*name, v))
        })
        .collect();
    (fields, proptest::option::weighted(0.05, any::<prop::sample::Index>())).prop_map(|(fields, twice)| {
        let mut parts: Vec<String> =
            fields.iter().filter_map(|(name, v)| v.map(|v| format!(r#""{name}": {v}"#))).collect();
        if let (Some(which), false) = (twice, parts.is_empty()) {
            let again = parts[which.index(parts.len())].clone();
            parts.push(again);
        }
        format!("{{{}}}", parts.join(", "))
    })
}

/// What a token's place adds in front of an error (`tokens[0]`, `tokens.ndjson:1`,
/// `upsert[0]`), taken off: `expires_at: expected ...`, or the message alone.
fn inside(error: &str, place: &str) -> String {
    let rest = error.strip_prefix(place).unwrap_or_else(|| panic!("{error:?} is not at {place}"));
    rest.strip_prefix(": ").or_else(|| rest.strip_prefix('.')).unwrap_or_else(|| panic!("{error:?}")).to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// One reader for a token object wherever it comes from: an entry of a state's `tokens`, a
    /// line of an NDJSON list and an `upsert` of a changes document give the same records or
    /// the same error, at the same place inside the object.
    #[test]
    fn every_token_path_reads_alike(token in token_object()) {
        let (head, _) = split(&small_state());
        let whole = format!("{},\"tokens\":[{token}]}}", head.strip_suffix('}').unwrap());
        let from_state = scopegate::CompiledState::from_json(&whole)
            .map(|state| scopegate::build_bundle(&state, &private_key(1), TTL).unwrap())
            .map_err(|e| inside(&e.to_string(), "tokens[0]"));
        let from_ndjson = stream(&head, &[token.as_bytes()]).map_err(|e| inside(&e.to_string(), "tokens.ndjson:1"));
        prop_assert_eq!(&from_ndjson, &from_state, "{}", token);

        let base = build(&serde_json::from_str(&head).unwrap());
        let changes = format!(r#"{{"issued_at": "{ISSUED}", "upsert": [{token}]}}"#);
        let from_changes = scopegate::build_delta_from_changes(&base, &changes, &private_key(1), TTL)
            .map_err(|e| inside(&e.to_string(), "upsert[0]"));
        match (&from_changes, &from_state) {
            (Ok(delta), Ok(bundle)) => {
                let mut applied = load(&base);
                applied.apply_delta(delta, now()).unwrap();
                let records = |e: &scopegate::Engine| e.snapshot().tokens().collect::<Vec<_>>();
                prop_assert_eq!(records(&applied), records(&load(bundle)), "{}", token);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b, "{}", token),
            (a, b) => prop_assert!(false, "{}: changes {:?}, state {:?}", token, a.as_ref().err(), b.as_ref().err()),
        }
    }
}
