//! The committed Bitbucket Cloud profile (`src/profile/bitbucket-cloud.json`) must be exactly what
//! the generator makes from the official spec (`../shared/data/`; without it the comparison
//! says loudly that it did not run, and fails under CI: see `spec_support`).
//! `SCOPEGATE_BLESS=1 cargo test --test profile_golden` rewrites the committed file instead.

mod spec_support;

use std::path::PathBuf;

use scopegate::{Profile, ProfileDoc};

const NAME: &str = "bitbucket-cloud";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_bitbucket_profile_matches_the_spec() {
    let committed_path = crate_dir().join("src/profile/bitbucket-cloud.json");
    let Some(spec) = spec_support::spec_text("the committed profile compared with the spec") else { return };
    let generated = Profile::builtin_source_from_openapi(NAME, &spec).unwrap();
    if std::env::var("SCOPEGATE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&committed_path, &generated).unwrap();
        println!("blessed: wrote {} ({} bytes)", committed_path.display(), generated.len());
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{} differs from what the spec generates (first difference at line {}).\n\
             If the change is intended, regenerate it with:\n    SCOPEGATE_BLESS=1 cargo test --test profile_golden\n\
             and review the diff.",
            committed_path.display(),
            line + 1
        );
    }
}

#[test]
fn committed_bitbucket_profile_is_the_builtin() {
    if std::env::var("SCOPEGATE_BLESS").is_ok_and(|v| v == "1") {
        println!("not checked while blessing: the embedded profile is the one this binary was built with");
        return;
    }
    let committed = std::fs::read_to_string(crate_dir().join("src/profile/bitbucket-cloud.json")).unwrap();
    let builtin = Profile::builtin(NAME).expect("the built-in profile compiles");
    assert!(committed.len() < 40 * 1024, "the committed profile is {} bytes, over the 40 KB budget", committed.len());
    // The importer's document for the spec, routes and all, is what the built-in serves.
    if let Some(spec) = spec_support::spec_text("the built-in's routes compared with the importer's") {
        let imported = ProfileDoc::from_openapi(&spec, NAME).unwrap();
        for r in &imported.routes {
            assert!(
                builtin.doc().routes.iter().any(|b| b.method == r.method && b.path == r.path && b.any_of == r.any_of),
                "{} {} missing or different in the built-in",
                r.method,
                r.path
            );
        }
        assert_eq!(builtin.doc().routes.len(), imported.routes.len() + 4, "the spec's routes plus four Git routes");
    }
}
