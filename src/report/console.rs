//! What a run prints on the console: per sweep point and workload, the success ratio, the
//! errors by cause and the longest outage the clients saw — first, when anything failed — then
//! the end-to-end latency of the successful requests; and warnings for workloads whose success
//! ratio is below [`SUCCESS_WARNING`] and for points whose queues ran away (unstable: no
//! results). Queues and streams add their end-to-end latency (a producer's latency ends when
//! its send is acknowledged), with warnings for messages dead-lettered, expired or lost and for
//! blocked or lagging stream consumers. With objectives or a cost, the plan comes last: each
//! point's verdict and monthly cost, then the answer (`planning::evaluate`). Numbers carry 4 significant digits (summary.csv keeps
//! full precision); an interval that one replication cannot give reads "n/a".

use std::fmt::Write as _;

use crate::experiment::{ExperimentResults, MetricSummary, PointResult};

/// A workload whose success ratio is below this is warned about: 99%.
pub const SUCCESS_WARNING: f64 = 0.99;

/// Counters that mean work was lost or stuck inside a pipeline, by metric-name suffix, with
/// what a nonzero mean says. A producer's success ratio cannot show these: its send succeeded.
const PIPELINE_LOSSES: &[(&str, &str)] = &[
    ("dead_lettered", "messages moved to the dead-letter queue per replication"),
    ("expired", "messages expired (retention) before they were received, per replication"),
    ("records_expired", "records expired (retention) before they were read, per replication"),
    ("expired_records", "records skipped as too old (maximum_record_age) per replication"),
    ("records_lost", "records lost per replication"),
    ("records_dropped", "records dropped after the last retry per replication"),
    ("on_failure_records", "records sent to the on-failure destination per replication"),
    ("blocked_shards", "shard(s) blocked at the end by a failing batch (records behind it wait), mean per replication"),
];

/// Iterator age (seconds) above which a stream consumer is warned about as falling behind: 60 s.
/// Assumption: a consumer a minute behind is a visible delay for most pipelines.
pub const ITERATOR_AGE_WARNING: f64 = 60.0;

/// `value` with `digits` significant digits, without exponent for everyday magnitudes; "-"
/// for a value that is not a number (nothing was measured).
pub fn significant(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return "-".into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..=9).contains(&magnitude) {
        return format!("{value:.prec$e}", prec = digits.saturating_sub(1));
    }
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// "(95% CI a .. b)", or "(95% CI n/a)" when there is no interval (one replication).
fn interval(metric: &MetricSummary, scale: f64, suffix: &str) -> String {
    if metric.ci95_low == metric.ci95_high && metric.ci95_low == metric.mean {
        // Every replication gave the same value (a success ratio of exactly 1, say).
        format!("(all {} replications)", metric.replications)
    } else if metric.ci95_low.is_finite() && metric.ci95_high.is_finite() {
        format!(
            "(95% CI {}{suffix} .. {}{suffix})",
            significant(metric.ci95_low * scale, 4),
            significant(metric.ci95_high * scale, 4)
        )
    } else {
        "(95% CI n/a: 1 replication)".into()
    }
}

/// The workloads of a point: the names with a `<name>.success_ratio` metric, in order.
fn workloads(point: &PointResult) -> Vec<&str> {
    point.metrics.iter().filter_map(|m| m.name.strip_suffix(".success_ratio")).collect()
}

fn latency_line(metric: &MetricSummary) -> String {
    let mut line = format!("latency mean {} ms {}", significant(metric.mean, 4), interval(metric, 1.0, ""));
    if let Some(p) = metric.percentiles {
        let _ = write!(
            line,
            "  p50 {}  p99 {}  p99.9 {} ms",
            significant(p.p50, 4),
            significant(p.p99, 4),
            significant(p.p999, 4)
        );
    }
    line
}

/// The console lines of `results` and the warnings to print beside them.
pub fn headline(results: &ExperimentResults) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut warnings = Vec::new();
    for point in &results.points {
        let label = if results.sweep_params.is_empty() {
            String::new()
        } else {
            let pairs: Vec<String> =
                results.sweep_params.iter().zip(&point.params).map(|(k, v)| format!("{k}={v}")).collect();
            format!(" [{}]", pairs.join(", "))
        };
        if let Some(unstable) = &point.unstable {
            let _ = writeln!(text, "point {}{label}\n  {}: no results", point.index, unstable.marker());
            warnings.push(format!(
                "point {}{label}: {}: {}; no results for this point",
                point.index,
                unstable.marker(),
                unstable.detail()
            ));
            continue;
        }
        if let Some(adaptive) = point.adaptive.as_ref().filter(|adaptive| !adaptive.met()) {
            warnings.push(format!(
                "point {}{label}: the 95% interval of {} is still ±{}% of its mean after {} replications \
                 (target ±{}%): raise max_replications or accept the wider interval",
                point.index,
                adaptive.worst_metric,
                significant(adaptive.precision * 100.0, 3),
                adaptive.replications,
                significant(adaptive.target.relative_precision * 100.0, 3)
            ));
        }
        let names = workloads(point);
        if names.is_empty() {
            // No workload: every latency the components measured.
            for metric in point.metrics.iter().filter(|m| m.percentiles.is_some()) {
                let _ = writeln!(text, "point {}{label}  {:<24} {}", point.index, metric.name, latency_line(metric));
            }
            continue;
        }
        let _ = writeln!(text, "point {}{label}", point.index);
        for name in names {
            let get = |quantity: &str| point.metric(&format!("{name}.{quantity}"));
            let mean = |quantity: &str| get(quantity).map(|m| m.mean).unwrap_or(f64::NAN);
            let ratio = mean("success_ratio");
            let errors = mean("errors");
            let mut status = String::new();
            if let Some(success) = get("success_ratio") {
                let _ = write!(
                    status,
                    "success {}% {}",
                    significant(success.mean * 100.0, 4),
                    interval(success, 100.0, "%")
                );
            }
            if errors > 0.0 {
                let causes: Vec<String> = ["timeout", "unavailable", "throttled", "rejected"]
                    .iter()
                    .filter_map(|cause| {
                        let n = mean(&format!("errors.{cause}"));
                        (n > 0.0).then(|| format!("{cause} {}", significant(n, 4)))
                    })
                    .collect();
                let _ = write!(status, "  errors {}", significant(errors, 4));
                if !causes.is_empty() {
                    let _ = write!(status, " ({})", causes.join(", "));
                }
            }
            let longest = mean("longest_outage");
            if longest > 0.0 {
                let _ = write!(status, "  longest outage {} s", significant(longest, 4));
            }
            let latency = get("latency").map(latency_line).unwrap_or_else(|| "latency: no successful request".into());
            // Failures first when there are any, so they are read before the latency.
            let failed = errors > 0.0 || ratio < 1.0;
            let (first, second) = if failed { (status, latency) } else { (latency, status) };
            let _ = writeln!(text, "  {name:<12} {first}\n  {:<12} {second}", "");
            if ratio < SUCCESS_WARNING {
                warnings.push(format!(
                    "point {}{label}: only {}% of `{name}`'s requests succeeded (below {}%); its latency is that of the successful ones",
                    point.index,
                    significant(ratio * 100.0, 4),
                    SUCCESS_WARNING * 100.0
                ));
            }
        }
        pipeline(point, &label, &mut text, &mut warnings);
    }
    if let Some(planning) = crate::planning::evaluate(results) {
        plan_lines(results, &planning, &mut text);
    }
    (text, warnings)
}

/// The capacity plan last, where the eye lands: each point's verdict and monthly cost (the
/// meeting points by rank), then the answer.
fn plan_lines(results: &ExperimentResults, planning: &crate::planning::Planning, text: &mut String) {
    use crate::planning::answer::money;
    let objectives = !results.plan_inputs.objectives.is_empty();
    let _ = writeln!(text, "\nplan");
    for plan in &planning.points {
        let rank = planning.ranked.iter().position(|&index| index == plan.index);
        let point = results.points.iter().find(|point| point.index == plan.index);
        let params: Vec<String> = point
            .map(|point| results.sweep_params.iter().zip(&point.params).map(|(k, v)| format!("{k}={v}")).collect())
            .unwrap_or_default();
        let mut line = format!("  point {:<3} {:>14}", plan.index, money(plan.cost.monthly));
        if objectives {
            let verdict = match rank {
                Some(rank) => format!("meets (#{})", rank + 1),
                None => plan.verdict.as_str().to_string(),
            };
            let _ = write!(line, "  {verdict:<14}");
        }
        if !params.is_empty() {
            let _ = write!(line, "  {}", params.join(", "));
        }
        if let Some(reason) = plan.reasons.first().filter(|_| rank.is_none()) {
            let _ = write!(line, "  — {reason}");
        }
        let _ = writeln!(text, "{}", line.trim_end());
    }
    let _ = writeln!(text, "answer: {}", planning.answer);
}

/// The queues' and streams' end-to-end latency (send to processed), and warnings for work
/// lost or stuck inside them.
fn pipeline(point: &PointResult, label: &str, text: &mut String, warnings: &mut Vec<String>) {
    for metric in &point.metrics {
        if let Some(component) = metric.name.strip_suffix(".end_to_end").filter(|_| metric.percentiles.is_some()) {
            let _ = writeln!(text, "  {component:<12} end to end {}", latency_line(metric));
        }
    }
    for metric in &point.metrics {
        let Some((component, quantity)) = metric.name.split_once('.') else { continue };
        if let Some((_, what)) = PIPELINE_LOSSES.iter().find(|(suffix, _)| *suffix == quantity)
            && metric.mean > 0.0
        {
            warnings.push(format!(
                "point {}{label}: `{component}`: {} {what}",
                point.index,
                significant(metric.mean, 4)
            ));
        }
        if quantity == "iterator_age_max" && metric.mean > ITERATOR_AGE_WARNING {
            warnings.push(format!(
                "point {}{label}: `{component}` fell behind: its iterator age reached {} s (mean over replications of the maximum)",
                point.index,
                significant(metric.mean, 4)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_significant_digits() {
        assert_eq!(significant(2495.80129, 4), "2496");
        assert_eq!(significant(2.4958, 4), "2.496");
        assert_eq!(significant(0.001234567, 4), "0.001235");
        assert_eq!(significant(99.95, 4), "99.95");
        assert_eq!(significant(100.0, 4), "100");
        assert_eq!(significant(0.0, 4), "0");
        assert_eq!(significant(f64::NAN, 4), "-");
        assert_eq!(significant(1.5e-7, 4), "1.500e-7");
    }

    fn summary(name: &str, mean: f64, latency: bool) -> MetricSummary {
        MetricSummary {
            name: name.into(),
            unit: if latency { crate::metrics::Unit::Millis } else { crate::metrics::Unit::Requests },
            replications: 2,
            mean,
            ci95_low: mean,
            ci95_high: mean,
            percentiles: latency.then_some(crate::experiment::Percentiles {
                p50: mean,
                p90: mean,
                p99: mean,
                p999: mean,
                max: mean,
            }),
            count: latency.then_some(10),
        }
    }

    #[test]
    fn pipelines_show_end_to_end_and_warn_on_lost_or_stuck_work() {
        let point = PointResult {
            index: 0,
            params: Vec::new(),
            metrics: vec![
                summary("q.end_to_end", 61.5, true),
                summary("q.dead_lettered", 3.0, false),
                summary("q.expired", 0.0, false),
                summary("c.blocked_shards", 1.0, false),
                summary("c.iterator_age_max", 565.0, false),
                summary("d.iterator_age_max", 2.0, false),
            ],
            histograms: Vec::new(),
            replications: Vec::new(),
            series: Default::default(),
            fault_windows: Vec::new(),
            unstable: None,
            adaptive: None,
        };
        let (mut text, mut warnings) = (String::new(), Vec::new());
        pipeline(&point, "", &mut text, &mut warnings);
        assert!(text.contains("q            end to end latency mean 61.5 ms"), "{text}");
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].contains("`q`: 3 messages moved to the dead-letter queue"));
        assert!(warnings[1].contains("`c`: 1 shard(s) blocked"));
        assert!(warnings[2].contains("`c` fell behind: its iterator age reached 565 s"));
    }
}
