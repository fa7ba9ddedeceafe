//! Malformed input: every scenario in `tests/malformed/` holds one mistake, and its first line
//! says where the error must be reported and a fragment of the message:
//!
//! ```text
//! # expect: 12:11: a station needs at least 1 server
//! ```
//!
//! Both `stratus check <file>` and `stratus run <file> --out <dir>` must exit with code 2,
//! print `<file>:<line>:<column>: ` and the fragment, never panic, and `run` must write
//! nothing.
//!
//! Malformed command lines (`--set`, flags) are tested here too.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{Outcome, TempDir, manifest_dir, stratus, stratus_with_limit};

/// Where the error must be reported, and a fragment of its message.
#[derive(Debug)]
struct Expectation {
    line: usize,
    column: usize,
    fragment: String,
}

/// Reads the `# expect: <line>:<column>: <fragment>` header of a malformed scenario.
fn expectation(path: &Path) -> Result<Expectation, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let first = text.lines().next().unwrap_or_default().trim_end_matches('\r');
    let bad = || format!("the first line must be `# expect: <line>:<column>: <message fragment>`, found `{first}`");
    let rest = first.strip_prefix("# expect: ").ok_or_else(bad)?;
    let (location, fragment) = rest.split_once(": ").ok_or_else(bad)?;
    let (line, column) = location.split_once(':').ok_or_else(bad)?;
    let fragment = fragment.trim().to_string();
    if fragment.is_empty() {
        return Err(bad());
    }
    Ok(Expectation { line: line.parse().map_err(|_| bad())?, column: column.parse().map_err(|_| bad())?, fragment })
}

/// The `*.toml` files directly in `dir`, sorted.
fn scenarios_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file() && path.extension() == Some(OsStr::new("toml")))
        .collect();
    files.sort();
    files
}

fn corpus_dir() -> PathBuf {
    manifest_dir().join("tests/malformed")
}

/// Checks that `outcome` is a clean rejection located as `expected`, with the file named as
/// `shown`. Returns the problems found.
fn rejection_problems(outcome: &Outcome, shown: &str, expected: &Expectation) -> Vec<String> {
    let mut problems = Vec::new();
    if outcome.timed_out {
        problems.push("did not finish within the time limit".to_string());
    } else if outcome.code != Some(2) {
        problems.push(format!("exit code {:?}, expected 2", outcome.code));
    }
    if outcome.stderr.contains("panicked") {
        problems.push("panicked".to_string());
    }
    let location = format!("{shown}:{}:{}: ", expected.line, expected.column);
    if !outcome.stderr.contains(&location) {
        problems.push(format!("stderr does not contain the location `{location}`"));
    }
    if !outcome.stderr.contains(&expected.fragment) {
        problems.push(format!("stderr does not contain `{}`", expected.fragment));
    }
    problems
}

/// Runs `check` and `run` on one malformed scenario; returns a message per problem, each
/// naming the file.
fn problems_with(file: &Path, scratch: &Path) -> Vec<String> {
    let name = file.strip_prefix(manifest_dir()).unwrap_or(file).to_string_lossy().replace('\\', "/");
    let expected = match expectation(file) {
        Ok(expected) => expected,
        Err(message) => return vec![format!("{name}: {message}")],
    };
    let mut problems = Vec::new();
    let mut report = |command: &str, outcome: &Outcome, found: Vec<String>| {
        if !found.is_empty() {
            problems.push(format!("{name} ({command}): {}\n{}", found.join("; "), outcome.describe()));
        }
    };

    // `check`, with the path as a user in the repository would type it.
    let relative = file.strip_prefix(manifest_dir()).unwrap_or(file);
    let shown = relative.display().to_string();
    let outcome = stratus_with_limit([OsStr::new("check"), relative.as_os_str()], LIMIT);
    let mut found = rejection_problems(&outcome, &shown, &expected);
    if !outcome.stdout.is_empty() {
        found.push("printed a resolved scenario on stdout".to_string());
    }
    report("check", &outcome, found);

    // `run`, with an absolute path and an output folder that must not appear.
    let out = scratch.join(file.file_stem().unwrap_or_default());
    let outcome = stratus_with_limit(
        [
            OsStr::new("run"),
            file.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
            OsStr::new("--threads"),
            OsStr::new("1"),
            OsStr::new("--no-progress"),
        ],
        LIMIT,
    );
    let mut found = rejection_problems(&outcome, &file.display().to_string(), &expected);
    if out.exists() {
        found.push(format!("created the output folder {}", out.display()));
    }
    report("run", &outcome, found);
    problems
}

/// Malformed scenarios are rejected before anything runs; this only guards against hangs.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn every_malformed_scenario_is_rejected_at_its_location() {
    let files = scenarios_in(&corpus_dir());
    assert!(files.len() >= 25, "tests/malformed/ should hold at least 25 scenarios, found {}", files.len());
    let scratch = TempDir::new("malformed-corpus");
    // The files are independent: check them on a few threads to keep the test quick.
    let chunks: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(4)).collect();
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                scope.spawn(|| chunk.iter().flat_map(|file| problems_with(file, scratch.path())).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|handle| handle.join().expect("worker")).collect()
    });
    assert!(problems.is_empty(), "{} problem(s) in the malformed corpus:\n\n{}", problems.len(), problems.join("\n\n"));
}

#[test]
fn every_malformed_scenario_has_a_well_formed_expectation() {
    // A typo in a header would otherwise show up as a confusing failure of the test above.
    for file in scenarios_in(&corpus_dir()) {
        if let Err(message) = expectation(&file) {
            panic!("{}: {message}", file.display());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Malformed command lines

/// 1-based (line, column) of the first `needle` in a non-comment line of `source`, or of the
/// text right after it (`after`: where the value of `key = ` starts). Computed, so that edits
/// to the shared quickstart scenario do not break these tests.
fn position(source: &str, needle: &str, after: bool) -> (usize, usize) {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with('#'))
        .find_map(|(index, line)| {
            let end = line.find(needle)? + if after { needle.len() } else { 0 };
            Some((index + 1, line[..end].chars().count() + 1))
        })
        .unwrap_or_else(|| panic!("no `{needle}` in the scenario"))
}

/// Runs `check` and `run` with the extra arguments `args` on the quickstart scenario and
/// asserts exit 2, no panic, no output folder and each of `fragments` in stderr.
fn assert_bad_arguments(args: &[&str], fragments: &[String]) {
    let scratch =
        TempDir::new(&format!("bad-args-{}", args.join("-").replace(|c: char| !c.is_ascii_alphanumeric(), "_")));
    let out = scratch.join("results");
    let mut check: Vec<&OsStr> = vec![OsStr::new("check"), OsStr::new("scenarios/quickstart.toml")];
    let mut run: Vec<&OsStr> =
        vec![OsStr::new("run"), OsStr::new("scenarios/quickstart.toml"), OsStr::new("--out"), out.as_os_str()];
    check.extend(args.iter().map(OsStr::new));
    run.extend(args.iter().map(OsStr::new));
    // `check` accepts only --set; the other flags are tried with `run` alone.
    let commands =
        if args.iter().all(|a| a.starts_with("--set") || !a.starts_with("--")) { vec![check, run] } else { vec![run] };
    for command in commands {
        let outcome = stratus(command);
        assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
        assert!(!outcome.stderr.contains("panicked"), "{}", outcome.describe());
        for fragment in fragments {
            assert!(outcome.stderr.contains(fragment.as_str()), "stderr lacks `{fragment}`: {}", outcome.describe());
        }
        assert!(!out.exists(), "a rejected run created {}", out.display());
    }
}

#[test]
fn malformed_set_paths_are_rejected() {
    let cases: &[(&str, &[&str])] = &[
        ("component.app.servers", &["invalid --set `component.app.servers`", "expected PATH=VALUE"]),
        ("a..b=1", &["invalid --set `a..b=1`", "empty segment"]),
        ("=5", &["invalid --set `=5`", "the parameter path is empty"]),
        ("a[x]=1", &["invalid --set `a[x]=1`", "not an array index"]),
        ("component.db.servers=3", &["invalid --set `component.db.servers=3`", "nothing is named `db`"]),
        ("component[5].servers=3", &["invalid --set `component[5].servers=3`", "past the end"]),
        ("component.app.servers[0]=1", &["invalid --set `component.app.servers[0]=1`", "cannot go inside"]),
        ("name.x=1", &["invalid --set `name.x=1`", "cannot go inside"]),
    ];
    for (arg, fragments) in cases {
        let fragments: Vec<String> = fragments.iter().map(|f| f.to_string()).collect();
        assert_bad_arguments(&["--set", arg], &fragments);
    }
}

#[test]
fn invalid_set_values_are_located_and_attributed_to_set() {
    let file = "scenarios/quickstart.toml";
    let source = fs::read_to_string(manifest_dir().join(file)).expect("quickstart");
    let at = |needle: &str| {
        let (line, column) = position(&source, needle, !needle.starts_with('['));
        format!("{file}:{line}:{column}: ")
    };
    let cases: Vec<(&str, String, &str)> = vec![
        // A value of the wrong type: reported where the replaced value is, with a note.
        ("component.app.servers=abc", at("servers = "), "\"abc\""),
        ("component.app.servers=0", at("servers = "), "at least 1 server"),
        ("simulation.duration=5 parsecs", at("duration = "), "\"5 parsecs\""),
        ("simulation.duration=5", at("duration = "), "found the bare number 5"),
        ("workload.users.arrival.rate=-1", at("rate = "), "`rate` must be a positive number"),
        ("component.app.service.mean=abc", at("mean = "), "\"abc\""),
        // A key that does not exist: reported at its table.
        ("simulation.replicatons=3", at("[simulation"), "unknown field `replicatons`"),
    ];
    for (arg, location, fragment) in cases {
        let fragments = [location, fragment.to_string(), format!("the value comes from --set {arg}")];
        assert_bad_arguments(&["--set", arg], &fragments);
    }
}

#[test]
fn malformed_flags_are_rejected() {
    for (args, fragment) in [
        (&["--threads", "0"][..], "--threads"),
        (&["--threads", "abc"][..], "--threads"),
        (&["--replications=-1"][..], "--replications"),
        (&["--seed", "x"][..], "--seed"),
        (&["--no-such-flag"][..], "--no-such-flag"),
    ] {
        assert_bad_arguments(args, &[fragment.to_string()]);
    }
}

#[test]
fn a_missing_scenario_file_is_reported() {
    for command in ["check", "run"] {
        let outcome = stratus([command, "tests/malformed/no-such-scenario.toml"]);
        assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
        assert!(
            outcome.stderr.contains("cannot read scenario file tests/malformed/no-such-scenario.toml"),
            "{}",
            outcome.describe()
        );
        assert!(!outcome.stderr.contains("panicked"), "{}", outcome.describe());
    }
    let outcome = stratus(["check"]);
    assert_eq!(outcome.code, Some(2), "a missing argument is a usage error: {}", outcome.describe());
}

#[test]
fn set_into_the_sweep_table_is_rejected() {
    for arg in ["sweep.x=1", "sweep=5"] {
        let outcome = stratus(["check", "scenarios/quickstart.toml", "--set", arg]);
        assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
        assert!(outcome.stderr.contains(arg), "the message names the argument: {}", outcome.describe());
    }
}

#[test]
fn replications_zero_is_attributed_to_the_flag() {
    let scratch = TempDir::new("replications-0");
    let out = scratch.join("results");
    let outcome = stratus([
        OsStr::new("run"),
        OsStr::new("scenarios/quickstart.toml"),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--replications"),
        OsStr::new("0"),
    ]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("at least 1 replication"), "{}", outcome.describe());
    assert!(
        outcome.stderr.contains("--replications"),
        "the note should name the flag the user typed: {}",
        outcome.describe()
    );
    assert!(!out.exists());
}

/// Shortening a run with --set so that a scheduled fault falls after its end is refused, with
/// the fault located, instead of silently running without the fault the scenario is about.
#[test]
fn a_shortened_run_that_drops_its_fault_is_rejected() {
    let file = "scenarios/rds-multi-az-failover.toml";
    let source = fs::read_to_string(manifest_dir().join(file)).expect("the scenario");
    let (line, column) = position(&source, "at = ", true);
    for command in ["check", "run"] {
        let scratch = TempDir::new(&format!("short-{command}"));
        let out = scratch.join("results");
        let mut args =
            vec![OsStr::new(command), OsStr::new(file), OsStr::new("--set"), OsStr::new("simulation.duration=90s")];
        if command == "run" {
            args.extend([OsStr::new("--out"), out.as_os_str()]);
        }
        let outcome = stratus(args);
        assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
        assert!(outcome.stderr.contains(&format!("{file}:{line}:{column}: ")), "{}", outcome.describe());
        assert!(outcome.stderr.contains("it would never happen"), "{}", outcome.describe());
        assert!(!out.exists(), "{}", outcome.describe());
    }
}

/// Near misses get a suggestion: a misspelt key or name, and an array element addressed with a
/// dot instead of brackets.
#[test]
fn near_misses_are_answered_with_a_suggestion() {
    let cases: &[(&str, &[&str])] = &[
        ("simulation.replicatons=3", &["unknown field `replicatons`", "did you mean `replications`?"]),
        ("workload.userz.arrival.rate=3", &["nothing is named `userz`", "did you mean `users`?"]),
        ("workload.users.write_fracton=0.5", &["unknown field `write_fracton`", "did you mean `write_fraction`?"]),
    ];
    for (arg, fragments) in cases {
        let fragments: Vec<String> = fragments.iter().map(|f| f.to_string()).collect();
        assert_bad_arguments(&["--set", arg], &fragments);
    }
    assert_bad_arguments(&["--set", "fault.0.az=b"], &["the scenario has no `[[fault]]` table to set".to_string()]);
    let outcome = stratus(["check", "scenarios/rds-multi-az-failover.toml", "--set", "fault.0.az=b"]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("did you mean `fault[0].az`?"), "{}", outcome.describe());
}

/// The `in sweep point` note appears where the sweep matters (a swept value is invalid), not
/// for a mistake the scenario has whatever the sweep (a dangling name).
#[test]
fn the_sweep_note_appears_only_where_the_sweep_matters() {
    let scratch = TempDir::new("sweep-note");
    let base = "name = \"x\"\n[simulation]\nduration = \"1m\"\n[[component]]\nname = \"app\"\nkind = \"station\"\n\
                service = \"1ms\"\n[[workload]]\nname = \"w\"\narrival = { process = \"poisson\", rate = 1 }\n";
    let swept_bad = scratch.join("swept-bad.toml");
    fs::write(&swept_bad, format!("{base}target = \"app\"\n[sweep]\n\"component.app.servers\" = [2, 0]\n")).unwrap();
    let outcome = stratus([OsStr::new("check"), swept_bad.as_os_str()]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("in sweep point 1"), "{}", outcome.describe());
    let unrelated = scratch.join("unrelated.toml");
    fs::write(&unrelated, format!("{base}target = \"ap\"\n[sweep]\n\"component.app.servers\" = [2, 3]\n")).unwrap();
    let outcome = stratus([OsStr::new("check"), unrelated.as_os_str()]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("did you mean `app`?"), "{}", outcome.describe());
    assert!(!outcome.stderr.contains("in sweep point"), "{}", outcome.describe());
}
