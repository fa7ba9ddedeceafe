//! Data files a scenario names: empirical samples and arrival traces, read from CSV once and
//! shared by every point and replication.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::dist::{DistSpec, QuantityKind};

use super::ScenarioSpec;

/// Loads each (file, column) once.
pub struct FileCache {
    base_dir: PathBuf,
    loaded: RefCell<HashMap<ColumnKey, Arc<[f64]>>>,
}

/// A file and the column read from it.
type ColumnKey = (PathBuf, Option<String>);

type PathResult<T> = Result<T, (String, String)>;

impl FileCache {
    /// Files are looked up relative to `base_dir` (the scenario's folder).
    pub fn new(base_dir: &Path) -> Self {
        FileCache { base_dir: base_dir.to_path_buf(), loaded: RefCell::new(HashMap::new()) }
    }

    /// The absolute form of a data-file path, so the resolved scenario works from anywhere.
    fn absolute(&self, file: &str) -> String {
        let path = self.base_dir.join(file);
        std::fs::canonicalize(&path).unwrap_or(path).to_string_lossy().into_owned()
    }

    fn column(&self, file: &str, column: Option<&str>, field: &str) -> PathResult<Arc<[f64]>> {
        let path = self.base_dir.join(file);
        let key = (path.clone(), column.map(str::to_string));
        if let Some(values) = self.loaded.borrow().get(&key) {
            return Ok(values.clone());
        }
        let values: Arc<[f64]> = read_column(&path, column).map_err(|message| (field.to_string(), message))?.into();
        self.loaded.borrow_mut().insert(key, values.clone());
        Ok(values)
    }

    fn dist<K: QuantityKind>(&self, spec: &mut DistSpec<K>, field: &str) -> PathResult<()> {
        if let Some(table) = spec.table_mut()
            && let Some(file) = table.file.clone()
        {
            table.samples = Some(self.column(&file, table.column.as_deref(), &format!("{field}.file"))?);
            table.file = Some(self.absolute(&file));
        }
        Ok(())
    }

    /// Loads every file the scenario names; errors carry the dotted path of the `file` field.
    pub fn load_all(&self, spec: &mut ScenarioSpec) -> PathResult<()> {
        for component in &mut spec.components {
            let prefix = format!("component.{}", component.name);
            for (field, dist) in component.config.dists_mut() {
                self.dist(dist, &format!("{prefix}.{field}"))?;
            }
        }
        for (index, fault) in spec.faults.iter_mut().enumerate() {
            if let Some(mtbf) = &mut fault.mtbf {
                self.dist(mtbf, &format!("fault[{index}].mtbf"))?;
            }
            if let Some(mttr) = &mut fault.mttr {
                self.dist(mttr, &format!("fault[{index}].mttr"))?;
            }
        }
        for workload in &mut spec.workloads {
            let prefix = format!("workload.{}", workload.name);
            let config = &mut workload.config;
            if let Some(think) = &mut config.think {
                self.dist(think, &format!("{prefix}.think"))?;
            }
            if let Some(size) = &mut config.size {
                self.dist(size, &format!("{prefix}.size"))?;
            }
            if let Some(arrival) = &mut config.arrival {
                if let Some(on) = &mut arrival.on {
                    self.dist(on, &format!("{prefix}.arrival.on"))?;
                }
                if let Some(off) = &mut arrival.off {
                    self.dist(off, &format!("{prefix}.arrival.off"))?;
                }
                if arrival.process == "trace"
                    && let Some(file) = arrival.file.clone()
                {
                    let times = self.column(&file, arrival.column.as_deref(), &format!("{prefix}.arrival.file"))?;
                    if let Some(i) = times.windows(2).position(|w| w[1] < w[0]) {
                        return Err((
                            format!("{prefix}.arrival.file"),
                            format!(
                                "trace timestamps must not decrease: row {} ({}) comes after {}",
                                i + 2,
                                times[i + 1],
                                times[i]
                            ),
                        ));
                    }
                    arrival.times = Some(times);
                    arrival.file = Some(self.absolute(&file));
                }
            }
        }
        Ok(())
    }
}

/// Reads one numeric column of a CSV file. A first row that does not parse as numbers is a
/// header; `column` names a header (or is a 0-based index); default the first column. Values
/// must be finite and non-negative.
fn read_column(path: &Path, column: Option<&str>) -> Result<Vec<f64>, String> {
    let shown = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mut records = reader.records();
    let mut values = Vec::new();
    let mut index = match column.and_then(|c| c.parse::<usize>().ok()) {
        Some(index) => Some(index),
        None if column.is_none() => Some(0),
        None => None,
    };
    let mut row_number = 0usize;
    for record in records.by_ref() {
        row_number += 1;
        let record = record.map_err(|e| format!("{shown}: {e}"))?;
        let is_header = row_number == 1 && record.iter().any(|cell| cell.parse::<f64>().is_err());
        if is_header {
            if let Some(name) = column.filter(|c| c.parse::<usize>().is_err()) {
                index = Some(record.iter().position(|cell| cell == name).ok_or_else(|| {
                    format!(
                        "{shown} has no column `{name}` (columns: {})",
                        record.iter().collect::<Vec<_>>().join(", ")
                    )
                })?);
            }
            continue;
        }
        let index = index.ok_or_else(|| {
            format!("{shown} has no header row, so column `{}` cannot be found", column.unwrap_or_default())
        })?;
        let cell = record.get(index).ok_or_else(|| format!("{shown}: row {row_number} has no column {index}"))?;
        let value: f64 = cell.parse().map_err(|_| format!("{shown}: row {row_number}: `{cell}` is not a number"))?;
        if !value.is_finite() || value < 0.0 {
            return Err(format!("{shown}: row {row_number}: values must be finite and non-negative, found {value}"));
        }
        values.push(value);
    }
    if values.is_empty() {
        return Err(format!("{shown} holds no values"));
    }
    Ok(values)
}
