//! The architecture diagram: an SVG drawn from the resolved scenario TOML. One column per
//! availability zone (`[topology] azs`), workloads in the top row, each component one row
//! below the deepest thing that refers to it; replicas and standbys as dashed boxes in the
//! AZs the resolved file lists (`replica_azs`, `standby_az`, `proxy_az`); an arrow for every
//! string field naming another component (`target`, `backing`, `call`, `queue`, `stream`,
//! `function`, `subscribers`…), labelled with the field.

use std::fmt::Write as _;

use super::escape;

const NODE_W: f64 = 156.0;
const NODE_H: f64 = 46.0;
const SLOT_W: f64 = 176.0;
const ROW_H: f64 = 100.0;
const TOP: f64 = 40.0;
const MARGIN: f64 = 12.0;

/// A box on the diagram.
struct Node {
    name: String,
    detail: String,
    kind: String,
    az: usize,
    row: usize,
    /// Replica or standby of the node at this index.
    secondary_of: Option<usize>,
    slot: usize,
}

/// Fill colour by kind.
fn fill(kind: &str) -> &'static str {
    match kind {
        "workload" => "#e8eaf6",
        "app" => "#e3f2e1",
        "rds" | "aurora" => "#dbe9f8",
        "elasticache" => "#fde7cc",
        "sqs" | "sns" | "kinesis" => "#efe1f5",
        "lambda" | "sqs_consumer" | "kinesis_consumer" => "#fff4c4",
        _ => "#eeeeee",
    }
}

/// String values in `value` (recursively) with the key they sit under.
fn strings<'a>(key: &'a str, value: &'a toml::Value, out: &mut Vec<(&'a str, &'a str)>) {
    match value {
        toml::Value::String(s) => out.push((key, s)),
        toml::Value::Array(items) => items.iter().for_each(|item| strings(key, item, out)),
        toml::Value::Table(table) => table.iter().for_each(|(k, v)| strings(k, v, out)),
        _ => {}
    }
}

/// The diagram of `resolved_toml`, or None when it does not parse or has no components.
pub fn architecture_svg(resolved_toml: &str) -> Option<String> {
    let doc = resolved_toml.parse::<toml::Table>().ok()?;
    let mut azs: Vec<String> = doc
        .get("topology")
        .and_then(|t| t.get("azs"))
        .and_then(|a| a.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    if azs.is_empty() {
        azs.push("a".into());
    }
    let az_of = |value: Option<&toml::Value>| -> usize {
        value.and_then(|v| v.as_str()).and_then(|az| azs.iter().position(|a| a == az)).unwrap_or(0)
    };
    let tables = |key: &str| -> Vec<&toml::Table> {
        doc.get(key)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_table()).collect())
            .unwrap_or_default()
    };
    let (components, workloads) = (tables("component"), tables("workload"));
    if components.is_empty() {
        return None;
    }
    let name = |t: &toml::Table| t.get("name").and_then(|v| v.as_str()).unwrap_or("?").to_string();
    let count = |t: &toml::Table, key: &str| t.get(key).and_then(|v| v.as_integer()).filter(|&n| n > 0);
    // Workloads first, then components, in file order.
    let mut nodes: Vec<Node> = Vec::new();
    for (i, table) in workloads.iter().chain(&components).enumerate() {
        let is_workload = i < workloads.len();
        let kind = if is_workload {
            "workload".to_string()
        } else {
            table.get("kind").and_then(|v| v.as_str()).unwrap_or("?").into()
        };
        let mut detail = kind.clone();
        for (key, what) in [
            ("instances", "instances"),
            ("replicas", "replicas"),
            ("shards", "shards"),
            ("consumers", "consumers"),
            ("nodes", "nodes"),
        ] {
            if let Some(n) = count(table, key).filter(|&n| n > 1 || key == "replicas") {
                let what = if n == 1 { what.trim_end_matches('s') } else { what };
                let _ = write!(detail, " · {n} {what}");
            }
        }
        nodes.push(Node {
            name: name(table),
            detail,
            kind,
            az: az_of(table.get("az")),
            row: usize::from(!is_workload),
            secondary_of: None,
            slot: 0,
        });
    }
    let all: Vec<&toml::Table> = workloads.iter().chain(&components).copied().collect();
    // Edges: a string field naming another component.
    let mut edges: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for (from, table) in all.iter().enumerate() {
        let mut found = Vec::new();
        for (key, value) in table.iter().filter(|(k, _)| !matches!(k.as_str(), "name" | "kind" | "az")) {
            strings(key, value, &mut found);
        }
        for (key, text) in found {
            let Some(to) = nodes.iter().skip(workloads.len()).position(|n| n.name == text).map(|i| i + workloads.len())
            else {
                continue;
            };
            if to == from {
                continue;
            }
            match edges.iter_mut().find(|(a, b, _)| (*a, *b) == (from, to)) {
                Some((_, _, labels)) if !labels.iter().any(|l| l == key) => labels.push(key.to_string()),
                Some(_) => {}
                None => edges.push((from, to, vec![key.to_string()])),
            }
        }
    }
    // Rows: one below the deepest referrer (longest path, capped for cycles).
    let cap = nodes.len();
    for _ in 0..cap {
        let mut changed = false;
        for &(from, to, _) in &edges {
            let wanted = (nodes[from].row + 1).min(cap);
            if to >= workloads.len() && nodes[to].row < wanted {
                nodes[to].row = wanted;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Replicas and standbys in the AZs the resolved file lists.
    let primaries = nodes.len();
    for (offset, table) in components.iter().enumerate() {
        let index = workloads.len() + offset;
        let mut extra: Vec<(usize, &str)> = Vec::new();
        if let Some(list) = table.get("replica_azs").and_then(|v| v.as_array()) {
            extra.extend(list.iter().map(|v| (az_of(Some(v)), "replica")));
        }
        if table.get("standby_az").is_some() {
            extra.push((az_of(table.get("standby_az")), "standby"));
        }
        if table.get("proxy_az").is_some() {
            extra.push((az_of(table.get("proxy_az")), "proxy"));
        }
        let mut grouped: Vec<(usize, &str, usize)> = Vec::new();
        for (az, what) in extra {
            match grouped.iter_mut().find(|(a, w, _)| (*a, *w) == (az, what)) {
                Some(entry) => entry.2 += 1,
                None => grouped.push((az, what, 1)),
            }
        }
        for (az, what, n) in grouped {
            let detail = if n > 1 { format!("{n} {what}s") } else { what.to_string() };
            let (name, kind, row) = (nodes[index].name.clone(), nodes[index].kind.clone(), nodes[index].row);
            nodes.push(Node { name, detail, kind, az, row, secondary_of: Some(index), slot: 0 });
        }
    }
    // Slots within each (row, AZ) cell, and column widths.
    let rows = nodes.iter().map(|n| n.row).max().unwrap_or(0) + 1;
    let mut used = vec![vec![0usize; azs.len()]; rows];
    for node in &mut nodes {
        node.slot = used[node.row][node.az];
        used[node.row][node.az] += 1;
    }
    let widths: Vec<f64> =
        (0..azs.len()).map(|az| (0..rows).map(|r| used[r][az]).max().unwrap_or(0).max(1) as f64 * SLOT_W).collect();
    let lefts: Vec<f64> = widths
        .iter()
        .scan(MARGIN, |x, w| {
            let left = *x;
            *x += w + MARGIN;
            Some(left)
        })
        .collect();
    let width = lefts.last().unwrap_or(&MARGIN) + widths.last().unwrap_or(&SLOT_W) + MARGIN;
    let height = TOP + rows as f64 * ROW_H + MARGIN;
    let centre =
        |n: &Node| (lefts[n.az] + n.slot as f64 * SLOT_W + SLOT_W / 2.0, TOP + n.row as f64 * ROW_H + ROW_H / 2.0);

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"diagram\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" \
         role=\"img\" aria-label=\"architecture diagram\" font-family=\"system-ui,'DejaVu Sans',sans-serif\">\n\
         <defs><marker id=\"arch-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" \
         orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#555\"/></marker></defs>\n"
    );
    for (az, name) in azs.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<rect x=\"{:.0}\" y=\"4\" width=\"{:.0}\" height=\"{:.0}\" rx=\"8\" fill=\"#fafafa\" stroke=\"#ccc\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{:.0}\" y=\"24\" text-anchor=\"middle\" font-size=\"14\" fill=\"#666\">AZ {}</text>",
            lefts[az],
            widths[az],
            height - 8.0,
            lefts[az] + widths[az] / 2.0,
            escape(name)
        );
    }
    for node in nodes.iter().skip(primaries) {
        if let Some(primary) = node.secondary_of {
            let ((x1, y1), (x2, y2)) = (centre(&nodes[primary]), centre(node));
            let _ = writeln!(
                svg,
                "<line x1=\"{x1:.0}\" y1=\"{y1:.0}\" x2=\"{x2:.0}\" y2=\"{y2:.0}\" stroke=\"#999\" stroke-dasharray=\"3 3\"/>"
            );
        }
    }
    for (from, to, labels) in &edges {
        let ((x1, y1), (x2, y2)) = (centre(&nodes[*from]), centre(&nodes[*to]));
        // From the edge of one box to the edge of the other.
        let (dx, dy) = (x2 - x1, y2 - y1);
        let scale = |dx: f64, dy: f64| {
            let sx = if dx.abs() > 1e-9 { (NODE_W / 2.0) / dx.abs() } else { f64::INFINITY };
            let sy = if dy.abs() > 1e-9 { (NODE_H / 2.0) / dy.abs() } else { f64::INFINITY };
            sx.min(sy).min(0.5)
        };
        let s = scale(dx, dy);
        let (ax, ay, bx, by) = (x1 + dx * s, y1 + dy * s, x2 - dx * s, y2 - dy * s);
        let _ = writeln!(
            svg,
            "<line x1=\"{ax:.0}\" y1=\"{ay:.0}\" x2=\"{bx:.0}\" y2=\"{by:.0}\" stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arch-arrow)\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\">{}</text>",
            (ax + bx) / 2.0,
            (ay + by) / 2.0 + 4.0,
            escape(&labels.join(", "))
        );
    }
    for node in &nodes {
        let (x, y) = centre(node);
        let dash = if node.secondary_of.is_some() { " stroke-dasharray=\"5 3\"" } else { "" };
        let _ = writeln!(
            svg,
            "<g class=\"node\"><rect x=\"{:.0}\" y=\"{:.0}\" width=\"{NODE_W:.0}\" height=\"{NODE_H:.0}\" rx=\"6\" fill=\"{}\" stroke=\"#777\"{dash}/>\
             <text x=\"{x:.0}\" y=\"{:.0}\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"600\">{}</text>\
             <text x=\"{x:.0}\" y=\"{:.0}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">{}</text></g>",
            x - NODE_W / 2.0,
            y - NODE_H / 2.0,
            fill(&node.kind),
            y - 3.0,
            escape(&node.name),
            y + 13.0,
            escape(&node.detail)
        );
    }
    svg.push_str("</svg>\n");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_components_azs_replicas_and_references() {
        let toml = "name = \"t\"\n[topology]\nazs = [\"a\", \"b\", \"c\"]\n\
            [[component]]\nname = \"web\"\nkind = \"app\"\naz = \"a\"\ninstances = 6\n[[component.reads]]\ncall = \"cache\"\n\
            [[component]]\nname = \"cache\"\nkind = \"elasticache\"\naz = \"a\"\nbacking = \"db\"\nreplicas = 1\nreplica_azs = [\"b\"]\n\
            [[component]]\nname = \"db\"\nkind = \"aurora\"\naz = \"a\"\nreplicas = 2\nreplica_azs = [\"b\", \"c\"]\n\
            [[workload]]\nname = \"users\"\ntarget = \"web\"\naz = \"a\"\n";
        let svg = architecture_svg(toml).unwrap();
        for text in [
            "AZ a",
            "AZ b",
            "AZ c",
            ">users<",
            ">web<",
            "app · 6 instances",
            ">target<",
            ">call<",
            ">backing<",
            "aurora · 2 replicas",
        ] {
            assert!(svg.contains(text), "{text} in\n{svg}");
        }
        assert_eq!(svg.matches("marker-end").count(), 3, "users→web, web→cache, cache→db");
        assert_eq!(svg.matches(">replica<").count(), 3, "cache in b, db in b and c");
        assert!(!svg.contains("http"), "no namespace or external reference");
        assert!(architecture_svg("name = \"empty\"").is_none());
    }
}
