//! The layering rule of ARCHITECTURE.md, checked on the source: each layer of `src/` refers
//! only to the layers below it — engine → units → metrics → model → blocks → services →
//! scenario → experiment → report (→ main, the binary, which may use them all). A service never
//! reaches into the experiment, a building block never names a service, the model never names
//! either.

use std::path::Path;

/// The layers, lowest first.
const LAYERS: &[&str] =
    &["engine", "units", "metrics", "model", "blocks", "services", "scenario", "experiment", "report"];

fn layer_of(path: &Path, src: &Path) -> Option<usize> {
    let relative = path.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    LAYERS.iter().position(|layer| *layer == name)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The layers `line` of code refers to through `crate::<layer>` paths (comments skipped).
fn referenced_layers(line: &str) -> Vec<usize> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if let Some(layer) = LAYERS.iter().position(|layer| *layer == name) {
            found.push(layer);
        }
    }
    found
}

#[test]
fn every_layer_depends_only_on_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut checked = 0;
    for file in &files {
        let Some(own) = layer_of(file, &src) else { continue }; // lib.rs, main.rs
        checked += 1;
        let text = std::fs::read_to_string(file).expect("readable");
        for (number, line) in text.lines().enumerate() {
            for layer in referenced_layers(line) {
                if layer > own {
                    upward.push(format!(
                        "{}:{}: the {} layer refers to the {} layer above it: {}",
                        file.strip_prefix(&src).unwrap().display(),
                        number + 1,
                        LAYERS[own],
                        LAYERS[layer],
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(checked > 30, "only {checked} files checked: is the layout as expected?");
    assert!(upward.is_empty(), "arrows that run upward:\n{}", upward.join("\n"));
}

#[test]
fn the_check_sees_an_upward_reference() {
    assert_eq!(referenced_layers("use crate::experiment::run; // crate::report"), vec![7]);
    assert!(referenced_layers("//! see [`crate::services`]").is_empty());
}
