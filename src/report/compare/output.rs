//! What `stratus compare` prints and writes: the console table and `compare.csv`.

use std::fmt::Write as _;

use super::{Comparison, Difference, Method, Pairing};
use crate::report::console::significant;
use crate::report::number;

/// The compare.csv columns.
pub const CSV_HEADER: [&str; 17] = [
    "metric",
    "stat",
    "unit",
    "a",
    "b",
    "difference",
    "relative",
    "ci95_low",
    "ci95_high",
    "significant",
    "method",
    "n_a",
    "n_b",
    "welch_low",
    "welch_high",
    "relative_ci95_low",
    "relative_ci95_high",
];

/// `compare.csv`: one row per metric and statistic, in the order of [`Comparison::rows`];
/// numbers via [`number`], `significant` as `true`, `false` or empty (no interval).
pub fn compare_csv(comparison: &Comparison) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(CSV_HEADER);
    for row in &comparison.rows {
        let scale = if row.a != 0.0 { row.a.abs() } else { f64::NAN };
        let record = [
            row.metric.clone(),
            row.stat.clone(),
            row.unit.clone(),
            number(row.a),
            number(row.b),
            number(row.difference),
            number(row.relative),
            number(row.low),
            number(row.high),
            row.significant.map(|s| s.to_string()).unwrap_or_default(),
            row.method.as_str().to_string(),
            row.n.0.to_string(),
            row.n.1.to_string(),
            number(row.welch_low),
            number(row.welch_high),
            number(row.low / scale),
            number(row.high / scale),
        ];
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(&record);
    }
    writer.into_inner().unwrap_or_default()
}

fn percent(value: f64) -> String {
    if value.is_finite() {
        format!("{}{}%", if value > 0.0 { "+" } else { "" }, significant(value * 100.0, 3))
    } else {
        "-".into()
    }
}

fn signed(value: f64) -> String {
    if value > 0.0 { format!("+{}", significant(value, 4)) } else { significant(value, 4) }
}

/// The console table: a heading saying what is compared and how, then the significant
/// differences (marked `*`), the others, and the rows without an interval last.
pub fn table(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "A: {}\nB: {}", comparison.a_label, comparison.b_label);
    match &comparison.pairing {
        Pairing::Paired { replications } => {
            let _ = writeln!(
                out,
                "95% intervals of B − A paired over {replications} replications (common random numbers: replication r of A and B drew the same random numbers)"
            );
        }
        Pairing::Welch { reason } => {
            let _ = writeln!(out, "95% intervals of B − A by Welch (unpaired): {reason}");
        }
    }
    let significant_count = comparison.rows.iter().filter(|row| row.significant == Some(true)).count();
    let with_interval = comparison.rows.iter().filter(|row| row.significant.is_some()).count();
    let _ = writeln!(out, "{significant_count} of {with_interval} differences with an interval are significant (*)\n");
    let group = |row: &Difference| match row.significant {
        Some(true) => 0,
        Some(false) => 1,
        None => 2,
    };
    // Statistics that are the same number in A and B (an error count of 0 in both) say
    // nothing: they are listed by name after the table instead of filling it.
    let same = |row: &Difference| row.a == row.b && (row.low == 0.0 || !row.low.is_finite());
    let mut order: Vec<&Difference> = comparison.rows.iter().filter(|row| !same(row)).collect();
    order.sort_by_key(|row| group(row));
    let header = ["", "metric", "unit", "A", "B", "B − A", "95% CI", "relative", "how"];
    let lines: Vec<[String; 9]> = order
        .iter()
        .map(|row| {
            let name = if row.stat == "mean" { row.metric.clone() } else { format!("{} {}", row.metric, row.stat) };
            let interval = if row.low.is_finite() && row.high.is_finite() {
                format!("{} .. {}", signed(row.low), signed(row.high))
            } else {
                "-".into()
            };
            [
                if row.significant == Some(true) { "*".into() } else { String::new() },
                name,
                row.unit.clone(),
                significant(row.a, 4),
                significant(row.b, 4),
                signed(row.difference),
                interval,
                percent(row.relative),
                row.method.as_str().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut push = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let pad = width.saturating_sub(cell.chars().count());
            // Text columns left-aligned, numbers right-aligned.
            if matches!(i, 0..=2 | 8) {
                let _ = write!(text, "{cell}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(text, "{}{cell}  ", " ".repeat(pad));
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    if !lines.is_empty() {
        push(&header.map(String::from));
        for line in &lines {
            push(line);
        }
    }
    let equal: Vec<String> = comparison
        .rows
        .iter()
        .filter(|row| same(row))
        .map(|row| if row.stat == "mean" { row.metric.clone() } else { format!("{} {}", row.metric, row.stat) })
        .collect();
    if order.is_empty() {
        let _ = writeln!(out, "every statistic is the same number in A and B: {}", equal.join(", "));
    } else if !equal.is_empty() {
        let _ = writeln!(out, "\nthe same in A and B ({}): {}", equal.len(), equal.join(", "));
    }
    for note in &comparison.notes {
        let _ = writeln!(out, "\nnote: {note}");
    }
    if order.iter().any(|row| row.method == Method::NoInterval) {
        let _ = writeln!(
            out,
            "\nnote: percentiles are those of the merged histograms in summary.csv: their differences have no interval"
        );
    }
    out
}
