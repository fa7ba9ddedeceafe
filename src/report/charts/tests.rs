//! Tests of the charts: synthetic results, CDF points, sweep layout, rendering.

use super::*;
use crate::engine::SimDuration;
use crate::experiment::{MetricSummary, Percentiles, ReplicationResult};
use crate::model::world::TimeSeries;

fn histogram(values_ms: &[f64]) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new(3).unwrap();
    h.auto(true);
    for v in values_ms {
        h.record((v * 1e6) as u64).unwrap();
    }
    h
}

/// A small synthetic sweep over two servers counts, with a latency metric, a scalar metric
/// and two series (one with gaps).
pub(crate) fn synthetic(sweep: bool) -> ExperimentResults {
    let servers: &[&str] = if sweep { &["4", "5"] } else { &["4"] };
    let points = servers
        .iter()
        .enumerate()
        .map(|(index, s)| {
            let k = index as f64 + 1.0;
            let values: Vec<f64> = (1..=500).map(|i| f64::from(i) * 0.37 / k).collect();
            let rows = 20;
            let series_values = (0..rows)
                .flat_map(|r| [r as f64 / k, if r % 7 == 3 { f64::NAN } else { 0.5 + 0.01 * r as f64 }])
                .collect();
            PointResult {
                index,
                params: if sweep { vec![s.to_string()] } else { Vec::new() },
                metrics: vec![
                    MetricSummary {
                        name: "app.response_time".into(),
                        unit: Unit::Millis,
                        replications: 3,
                        mean: 90.0 / k,
                        ci95_low: 80.0 / k,
                        ci95_high: 100.0 / k,
                        percentiles: Some(Percentiles {
                            p50: 90.0 / k,
                            p90: 160.0 / k,
                            p99: 180.0 / k,
                            p999: 184.0 / k,
                            max: 185.0 / k,
                        }),
                        count: Some(500),
                    },
                    MetricSummary {
                        name: "app.utilization".into(),
                        unit: Unit::Fraction,
                        replications: 3,
                        mean: 0.9 / k,
                        ci95_low: 0.85 / k,
                        ci95_high: 0.95 / k,
                        percentiles: None,
                        count: None,
                    },
                ],
                histograms: vec![("app.response_time".into(), histogram(&values))],
                replications: (0..3)
                    .map(|r| ReplicationResult {
                        replication: r,
                        events: 1000,
                        values: vec![90.0 / k, 0.9 / k],
                        percentiles: Vec::new(),
                    })
                    .collect(),
                series: TimeSeries {
                    interval: SimDuration::from_secs(10),
                    names: vec!["app.queue_length".into(), "app/odd name".into()],
                    values: series_values,
                },
                fault_windows: Vec::new(),
                unstable: None,
                adaptive: None,
            }
        })
        .collect();
    ExperimentResults {
        name: "synthetic <test>".into(),
        description: Some("A & B".into()),
        sweep_params: if sweep { vec!["component.app.servers".into()] } else { Vec::new() },
        points,
        total_events: 6000,
        plan_inputs: Default::default(),
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stratus-charts-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn writes_svg_and_png_for_every_chart() {
    let dir = temp_dir("all");
    let charts = write_charts(&synthetic(true), &dir, &ChartInputs::default()).unwrap();
    let names: Vec<String> = charts.iter().map(|c| c.svg.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        [
            "cdf-app.response_time.svg",
            "sweep-app.response_time.svg",
            "sweep-app.utilization.svg",
            "timeseries-app.queue_length.svg",
            "timeseries-app_odd_name.svg",
        ]
    );
    for chart in &charts {
        let svg = std::fs::read_to_string(&chart.svg).unwrap();
        assert!(svg.contains("<svg"), "{}", chart.svg.display());
        assert!(svg.contains("<text"), "{}", chart.svg.display());
        let png = std::fs::read(&chart.png).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", chart.png.display());
    }
    let cdf = std::fs::read_to_string(&charts[0].svg).unwrap();
    assert!(cdf.contains("component.app.servers=5"), "legend names the points");
    assert!(cdf.contains("latency (ms, log scale)"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rendering_is_deterministic() {
    let (a, b) = (temp_dir("det-a"), temp_dir("det-b"));
    let shades = [Shade { start_s: 50.0, end_s: 90.0, label: "fault".into() }];
    let inputs = ChartInputs { shades: &shades, ..Default::default() };
    let first = write_charts(&synthetic(true), &a, &inputs).unwrap();
    let second = write_charts(&synthetic(true), &b, &inputs).unwrap();
    assert_eq!(first.len(), second.len());
    for (x, y) in first.iter().zip(&second) {
        assert_eq!(std::fs::read(&x.svg).unwrap(), std::fs::read(&y.svg).unwrap());
        assert_eq!(std::fs::read(&x.png).unwrap(), std::fs::read(&y.png).unwrap());
    }
    let series = std::fs::read_to_string(&first.last().unwrap().svg).unwrap();
    assert!(series.contains("fault"), "shade label drawn");
    std::fs::remove_dir_all(a).unwrap();
    std::fs::remove_dir_all(b).unwrap();
}

#[test]
fn no_sweep_charts_without_a_sweep_and_empty_results_draw() {
    let dir = temp_dir("nosweep");
    let mut results = synthetic(false);
    let charts = write_charts(&results, &dir, &ChartInputs::default()).unwrap();
    assert!(charts.iter().all(|c| c.kind != ChartKind::Sweep));
    assert_eq!(charts.len(), 3);
    // An empty histogram still gives its chart ("no observations"); a series with no value
    // anywhere (a shard the stream does not have) gives none.
    results.points[0].histograms[0].1.reset();
    results.points[0].series.values.iter_mut().for_each(|v| *v = f64::NAN);
    let charts = write_charts(&results, &dir, &ChartInputs::default()).unwrap();
    assert!(charts.iter().all(|c| c.kind != ChartKind::TimeSeries), "all-NaN series are not drawn");
    assert!(std::fs::read_to_string(&charts[0].svg).unwrap().contains("no observations"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cdf_lines_are_capped_and_monotone() {
    let values: Vec<f64> = (1..=100_000).map(|i| f64::from(i) * 0.013).collect();
    let points = cdf_points(&histogram(&values), 0.01, 5.0);
    assert!(points.len() <= 2 * CDF_STEPS as usize + 3, "{} points", points.len());
    assert!(points.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    assert_eq!(points[0].1, 0.0);
    assert_eq!(points.last().unwrap().1, 1.0);
}

#[test]
fn shades_merge_within_a_pixel() {
    let shade = |start_s: f64, end_s: f64, label: &str| Shade { start_s, end_s, label: label.into() };
    let shades = [
        shade(50.0, 60.0, "b"),
        shade(10.0, 20.0, "a"),
        shade(20.5, 30.0, "a"),
        shade(-5.0, 1.0, "early"),
        shade(200.0, 300.0, "late"),
        shade(5.0, 5.0, "empty"),
    ];
    let merged = merge_shades(&shades, (0.0, 100.0), |x| x as i32);
    assert_eq!(
        merged,
        vec![(0.0, 1.0, "early".to_string()), (10.0, 30.0, "a".to_string()), (50.0, 60.0, "b".to_string())]
    );
    let many: Vec<Shade> = (0..1000).map(|i| shade(f64::from(i) * 0.1, f64::from(i) * 0.1 + 0.05, "x")).collect();
    assert_eq!(merge_shades(&many, (0.0, 100.0), |x| x as i32).len(), 1);
}

#[test]
fn helpers() {
    assert_eq!(sanitize("app/odd name:x"), "app_odd_name_x");
    assert_eq!(sanitize("a.b-c_d"), "a.b-c_d");
    assert_eq!(tick(0.30000000000000004), "0.3");
    assert_eq!(tick(1000.0), "1000");
    assert_eq!(tick(0.001), "0.001");
    assert_eq!(tick(1e7), "1e7");
    assert_eq!(tick(-0.0), "0");
    assert_eq!(category_label(&["a".into(), "b".into()], 1.0), "b");
    assert_eq!(category_label(&["a".into(), "b".into()], 0.5), "");
    assert_eq!(segments(&[1.0, f64::NAN, 2.0, 3.0], |v: &f64| v.is_finite()), vec![vec![1.0], vec![2.0, 3.0]]);
}

#[test]
fn objectives_and_the_cost_frontier() {
    let dir = temp_dir("frontier");
    let results = synthetic(true);
    let planning = crate::report::plans::tests::planning();
    let objectives = crate::report::objectives::objective_lines(
        "[[objective]]\nmetric = \"app.response_time\"\nstat = \"p99\"\nbelow = \"100ms\"\n",
        &results,
    );
    let inputs = ChartInputs { objectives: &objectives, planning: Some(&planning), ..Default::default() };
    let charts = write_charts(&results, &dir, &inputs).unwrap();
    let sweep = charts.iter().find(|c| c.svg.ends_with("sweep-app.response_time.svg")).unwrap();
    assert!(sweep.svg_text.contains("objective: p99 ≤ 100"), "the SLO line is on its metric's chart");
    let other = charts.iter().find(|c| c.svg.ends_with("sweep-app.utilization.svg")).unwrap();
    assert!(!other.svg_text.contains("objective:"), "and only there");
    let frontier = charts.last().unwrap();
    assert_eq!(frontier.kind, ChartKind::Frontier);
    assert!(frontier.svg.ends_with("frontier-cost.svg"));
    for text in ["meets every objective", "fails", "Pareto frontier", "monthly cost (USD)"] {
        assert!(frontier.svg_text.contains(text), "{text}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pareto_points() {
    // (cost, p99): 1 is dearer than 0 and no better; 3 is cheaper than 2 and better.
    let points = [(100.0, 50.0), (200.0, 60.0), (300.0, 20.0), (250.0, 10.0), (f64::NAN, 1.0)];
    assert_eq!(frontier::pareto(&points, true), vec![0, 3]);
    assert_eq!(frontier::pareto(&points, false), vec![0, 1], "higher is better: 2 and 3 are dearer than 1 and lower");
}
