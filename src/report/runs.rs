//! Finished runs kept on disk, one file per (sweep point, replication), so that work is never
//! lost and never done twice: a run interrupted (Ctrl-C, a killed job) continues with
//! `--resume`; a shard of a sweep (`--shard K/N`) leaves its runs for `stratus merge`.
//!
//! A folder of runs holds `manifest.toml` (the scenario as run, its hash, the grid and the
//! shard) and `run-p<point>-r<replication>.bin` files: each a run's outcome in the
//! [postcard](https://docs.rs/postcard) format — metrics with their HDR histograms in the V2
//! format, time series and fault windows, all lossless — stamped with the scenario's hash, so
//! runs of a different scenario (another file, other overrides, another stratus version) are
//! refused. Every file is written atomically ([`atomic_write`]): a kill leaves whole runs or
//! none.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ReportError, atomic_write, io_error};
use crate::experiment::{Grid, Task, TaskOutcome};

/// The manifest's file name in a folder of runs.
pub const MANIFEST: &str = "manifest.toml";

/// The format of a folder of runs; a folder of another format is refused.
pub const FORMAT: &str = "stratus-runs-1";

/// One part of a sweep split across machines: part `index` (1-based) of `count`. It runs the
/// grid's tasks (points × replications, in point order) whose position `i` (0-based) has
/// `i mod count = index − 1`, so every part gets a share of every point.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1 to `count`.
    pub index: u32,
    /// Parts in all (at least 1).
    pub count: u32,
}

impl Shard {
    /// The tasks of `all` this part runs.
    pub fn select(&self, all: &[Task]) -> Vec<Task> {
        let count = self.count.max(1) as usize;
        let offset = self.index.saturating_sub(1) as usize;
        all.iter().enumerate().filter(|(position, _)| position % count == offset).map(|(_, task)| *task).collect()
    }

    /// The part that runs `task` of `all`.
    pub fn of(task: Task, all: &[Task], count: u32) -> Option<u32> {
        let position = all.iter().position(|t| *t == task)?;
        Some((position % count.max(1) as usize) as u32 + 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a folder of runs is: which scenario, which grid, which part of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The stratus version that wrote it.
    pub version: String,
    /// [`scenario_hash`] of the resolved scenario, in hexadecimal.
    pub scenario_hash: String,
    /// The shard, if the runs are one part of a split sweep.
    pub shard: Option<Shard>,
    /// The grid the runs belong to.
    pub grid: Grid,
    /// The scenario as run (written to the merged outputs).
    pub resolved_toml: String,
}

impl Manifest {
    /// The manifest of runs of the scenario resolved as `resolved_toml`, with grid `grid`.
    pub fn new(grid: Grid, resolved_toml: &str, shard: Option<Shard>) -> Self {
        Manifest {
            format: FORMAT.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_hash: format!("{:016x}", scenario_hash(resolved_toml)),
            shard,
            grid,
            resolved_toml: resolved_toml.into(),
        }
    }
}

/// A 64-bit FNV-1a hash of the resolved scenario and the stratus version: two folders of runs
/// belong together only if they ran the same scenario with the same program.
pub fn scenario_hash(resolved_toml: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let version = env!("CARGO_PKG_VERSION");
    [FORMAT.as_bytes(), version.as_bytes(), &[0], resolved_toml.as_bytes()]
        .iter()
        .flat_map(|part| part.iter())
        .fold(OFFSET, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

#[derive(Serialize, Deserialize)]
struct Record {
    scenario_hash: String,
    task: Task,
    outcome: TaskOutcome,
}

/// Errors reading a folder of runs.
#[derive(Debug, thiserror::Error)]
pub enum RunsError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] ReportError),
    /// The folder holds no manifest: not a folder of runs.
    #[error("{dir}: not a folder of stratus runs (no {MANIFEST}); expected the --out folder of `stratus run --shard`")]
    NotRuns {
        /// The folder.
        dir: PathBuf,
    },
    /// A file is damaged or of another format.
    #[error("{path}: {message}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Runs of two different scenarios.
    #[error(
        "{dir} holds runs of another scenario (hash {found}, expected {expected}): every part must run the same file with the same overrides and stratus version"
    )]
    OtherScenario {
        /// The folder.
        dir: PathBuf,
        /// Its hash.
        found: String,
        /// The hash expected.
        expected: String,
    },
}

/// A folder of finished runs.
pub struct RunStore {
    dir: PathBuf,
    manifest: Manifest,
}

impl RunStore {
    /// Starts a folder for `manifest`'s runs: a folder of runs of the same scenario and shard
    /// keeps its runs (they are returned by [`runs`](Self::runs)) if `keep` is set; otherwise,
    /// or if it holds runs of anything else, its runs are removed first. Returns the store and
    /// how many runs of an earlier attempt it removed.
    pub fn create(dir: &Path, manifest: Manifest, keep: bool) -> Result<(Self, usize), RunsError> {
        let mut removed = 0;
        if dir.join(MANIFEST).exists() {
            let same = Self::read_manifest(dir)
                .is_ok_and(|old| old.scenario_hash == manifest.scenario_hash && old.shard == manifest.shard);
            if !(keep && same) {
                removed = Self::clear(dir)?;
            }
        }
        atomic_write(&dir.join(MANIFEST), manifest_text(&manifest).as_bytes())?;
        Ok((RunStore { dir: dir.to_path_buf(), manifest }, removed))
    }

    /// Opens an existing folder of runs.
    pub fn open(dir: &Path) -> Result<Self, RunsError> {
        let manifest = Self::read_manifest(dir)?;
        Ok(RunStore { dir: dir.to_path_buf(), manifest })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn read_manifest(dir: &Path) -> Result<Manifest, RunsError> {
        let path = dir.join(MANIFEST);
        if !path.exists() {
            return Err(RunsError::NotRuns { dir: dir.to_path_buf() });
        }
        let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        let manifest: Manifest =
            toml::from_str(&text).map_err(|e| RunsError::Damaged { path: path.clone(), message: e.to_string() })?;
        if manifest.format != FORMAT {
            return Err(RunsError::Damaged {
                path,
                message: format!("format `{}`, expected `{FORMAT}`", manifest.format),
            });
        }
        Ok(manifest)
    }

    fn record_path(&self, task: Task) -> PathBuf {
        self.dir.join(format!("run-p{:05}-r{:05}.bin", task.point, task.replication))
    }

    /// Saves a finished run.
    pub fn save(&self, task: Task, outcome: &TaskOutcome) -> Result<(), ReportError> {
        #[derive(Serialize)]
        struct RecordRef<'a> {
            scenario_hash: &'a str,
            task: Task,
            outcome: &'a TaskOutcome,
        }
        let path = self.record_path(task);
        let record = RecordRef { scenario_hash: &self.manifest.scenario_hash, task, outcome };
        let bytes = postcard::to_stdvec(&record)
            .map_err(|e| ReportError::Io { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
        atomic_write(&path, &bytes)
    }

    /// Every run saved in the folder, in task order. A half-written temporary file (a kill
    /// during a write) is ignored; a damaged run file or one of another scenario is an error.
    pub fn runs(&self) -> Result<Vec<(Task, TaskOutcome)>, RunsError> {
        let mut runs = Vec::new();
        for path in self.run_files()? {
            let bytes = std::fs::read(&path).map_err(io_error(&path))?;
            let record: Record = postcard::from_bytes(&bytes)
                .map_err(|e| RunsError::Damaged { path: path.clone(), message: format!("unreadable run: {e}") })?;
            if record.scenario_hash != self.manifest.scenario_hash {
                return Err(RunsError::OtherScenario {
                    dir: self.dir.clone(),
                    found: record.scenario_hash,
                    expected: self.manifest.scenario_hash.clone(),
                });
            }
            runs.push((record.task, record.outcome));
        }
        runs.sort_by_key(|(task, _)| *task);
        Ok(runs)
    }

    fn run_files(&self) -> Result<Vec<PathBuf>, RunsError> {
        let entries = std::fs::read_dir(&self.dir).map_err(io_error(&self.dir))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(io_error(&self.dir))?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.starts_with("run-p") && name.ends_with(".bin") {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    /// Removes the run files and the manifest of `dir` (nothing else); returns how many runs.
    fn clear(dir: &Path) -> Result<usize, RunsError> {
        let store = RunStore { dir: dir.to_path_buf(), manifest: Manifest::new(empty_grid(), "", None) };
        let files = store.run_files()?;
        for path in &files {
            std::fs::remove_file(path).map_err(io_error(path))?;
        }
        let manifest = dir.join(MANIFEST);
        std::fs::remove_file(&manifest).map_err(io_error(&manifest))?;
        // Half-written files of a process killed while saving (see `atomic_write`).
        for entry in std::fs::read_dir(dir).map_err(io_error(dir))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".run-p") || name.starts_with(&format!(".{MANIFEST}.tmp-")) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(files.len())
    }

    /// Removes the folder once its runs are in the final outputs: its run files and manifest,
    /// then the folder itself if nothing else is left in it.
    pub fn remove(self) -> Result<(), RunsError> {
        Self::clear(&self.dir)?;
        let _ = std::fs::remove_dir(&self.dir);
        Ok(())
    }
}

fn empty_grid() -> Grid {
    Grid {
        name: String::new(),
        description: None,
        sweep_params: Vec::new(),
        points: Vec::new(),
        plan_inputs: Default::default(),
    }
}

fn manifest_text(manifest: &Manifest) -> String {
    // Serializing plain strings, integers and tables to TOML cannot fail.
    let body = toml::to_string(manifest).unwrap_or_default();
    format!("# Finished runs of a stratus scenario: `stratus run --resume` or `stratus merge` reads them.\n{body}")
}

/// The folder where `stratus run` keeps the finished runs of a run writing to `out`, until its
/// outputs are written: `<out>.runs` beside it.
pub fn runs_folder_for(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".runs");
    out.with_file_name(name)
}

/// Reads the runs of several folders (the parts of a split sweep) and checks that they
/// belong together: the same scenario. Returns the first folder's manifest and every run
/// (a run found in two folders is taken once).
pub fn read_parts(dirs: &[PathBuf]) -> Result<(Manifest, Vec<(Task, TaskOutcome)>), RunsError> {
    let mut manifest: Option<Manifest> = None;
    let mut all: std::collections::BTreeMap<Task, TaskOutcome> = std::collections::BTreeMap::new();
    for dir in dirs {
        let store = RunStore::open(dir)?;
        if let Some(first) = manifest.as_ref().filter(|first| first.scenario_hash != store.manifest.scenario_hash) {
            return Err(RunsError::OtherScenario {
                dir: dir.clone(),
                found: store.manifest.scenario_hash.clone(),
                expected: first.scenario_hash.clone(),
            });
        }
        for (task, outcome) in store.runs()? {
            all.entry(task).or_insert(outcome);
        }
        if manifest.is_none() {
            manifest = Some(store.manifest);
        }
    }
    let manifest = manifest.ok_or_else(|| RunsError::NotRuns { dir: PathBuf::from("(no folder given)") })?;
    Ok((manifest, all.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(replications: &[u32]) -> Grid {
        Grid {
            name: "g".into(),
            description: None,
            sweep_params: vec!["x".into()],
            points: replications
                .iter()
                .enumerate()
                .map(|(index, &replications)| crate::experiment::GridPoint {
                    index,
                    params: vec![index.to_string()],
                    replications,
                    adaptive: None,
                })
                .collect(),
            plan_inputs: Default::default(),
        }
    }

    #[test]
    fn parts_cover_every_run_once() {
        let all = grid(&[3, 1, 4, 2]).tasks();
        for count in 1..=12 {
            let mut seen: Vec<Task> = (1..=count).flat_map(|index| Shard { index, count }.select(&all)).collect();
            seen.sort();
            assert_eq!(seen, all, "{count} parts");
            for task in &all {
                let part = Shard::of(*task, &all, count).expect("a part");
                assert!(Shard { index: part, count }.select(&all).contains(task));
            }
        }
    }

    #[test]
    fn saved_runs_read_back_and_other_scenarios_are_refused() {
        let dir = std::env::temp_dir().join(format!("stratus-runs-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let manifest = Manifest::new(grid(&[2]), "name = \"g\"\n", None);
        let (store, removed) = RunStore::create(&dir, manifest.clone(), false).expect("create");
        assert_eq!(removed, 0);
        let task = Task { point: 0, replication: 1 };
        store.save(task, &TaskOutcome::Skipped).expect("save");
        let read = RunStore::open(&dir).expect("open");
        assert_eq!(read.manifest(), &manifest);
        assert!(matches!(read.runs().expect("runs").as_slice(), [(t, TaskOutcome::Skipped)] if *t == task));
        // The same folder started for another scenario drops the old runs.
        let other = Manifest::new(grid(&[2]), "name = \"h\"\n", None);
        let (store, removed) = RunStore::create(&dir, other, true).expect("create");
        assert_eq!(removed, 1);
        assert!(store.runs().expect("runs").is_empty());
        assert_ne!(scenario_hash("a"), scenario_hash("b"));
        store.remove().expect("remove");
        assert!(!dir.exists());
    }
}
