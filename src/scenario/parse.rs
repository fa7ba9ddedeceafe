//! Reading the parts of a scenario document: the `name`/`kind` header of a table, strings
//! and names, arrays of tables, and TOML errors put in plain words.

use super::*;

pub(super) fn header_name(root: &Spanned<DeTable<'_>>) -> String {
    root.get_ref().get("name").and_then(|v| v.get_ref().as_str()).unwrap_or("scenario").to_string()
}

pub(super) fn header_description(root: &Spanned<DeTable<'_>>) -> Option<String> {
    root.get_ref().get("description").and_then(|v| v.get_ref().as_str()).map(str::to_string)
}

/// The common keys of a component or workload table, taken out of it.
pub(super) struct Header {
    pub(super) name: String,
    pub(super) kind: Option<(String, Range<usize>)>,
    pub(super) az: Option<String>,
}

/// A result whose error is a span of the document and a message.
pub(super) type Located<T> = Result<T, (Range<usize>, String)>;

pub(super) fn take_string(
    table: &mut DeTable<'_>,
    key: &str,
    table_span: &Range<usize>,
    what: &str,
) -> Located<Option<(String, Range<usize>)>> {
    match table.remove(key) {
        None => Ok(None),
        Some(value) => {
            let span = value.span();
            match value.into_inner() {
                DeValue::String(text) => Ok(Some((text.to_string(), span))),
                other => Err((
                    span,
                    format!(
                        "`{key}` of a {what} must be a string, found {} {}",
                        article(other.type_str()),
                        other.type_str()
                    ),
                )),
            }
        }
    }
    .map_err(|e: (Range<usize>, String)| if e.0.is_empty() { (table_span.clone(), e.1) } else { e })
}

/// Names of scenarios, components and workloads: letters, digits, `_` and `-` (they appear in
/// dotted parameter paths and file names).
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub(super) fn take_header(
    table: &mut DeTable<'_>,
    span: &Range<usize>,
    what: &str,
    with_kind: bool,
) -> Located<Header> {
    let (name, name_span) =
        take_string(table, "name", span, what)?.ok_or_else(|| (span.clone(), format!("this {what} has no `name`")))?;
    if !valid_name(&name) {
        return Err((
            name_span,
            format!("`{name}` is not a valid name: use letters, digits, `_` and `-` (no dots or spaces)"),
        ));
    }
    let kind = if with_kind {
        Some(take_string(table, "kind", span, what)?.ok_or_else(|| {
            (span.clone(), format!("component `{name}` has no `kind`; expected one of {}", quoted(COMPONENT_KINDS)))
        })?)
    } else {
        None
    };
    let az = if with_kind { take_string(table, "az", span, what)?.map(|(az, _)| az) } else { None };
    Ok(Header { name, kind, az })
}

pub(super) fn quoted(items: &[&str]) -> String {
    items.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ")
}

pub(super) fn toml_error(error: toml::de::Error, fallback: &Range<usize>) -> (Range<usize>, String) {
    (error.span().unwrap_or(fallback.clone()), humanize(error.message().trim_end()))
}

/// Replaces Rust type names in serde's messages with what a user writes.
pub(super) fn humanize(message: &str) -> String {
    let mut out = message.to_string();
    for (rust, plain) in [
        ("expected u16", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected a table"),
    ] {
        out = out.replace(rust, plain);
    }
    // serde: "unknown field `replicatons`, expected one of `duration`, `warmup`, ...".
    if let Some(rest) = out.strip_prefix("unknown field `")
        && let Some((unknown, expected)) = rest.split_once("`, expected ")
    {
        let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let hint = crate::model::did_you_mean(unknown, candidates.iter().copied());
        out.push_str(&hint);
    }
    while let Some(start) = out.find("expected struct ") {
        let rest = &out[start + "expected struct ".len()..];
        let end = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        out.replace_range(start..start + "expected struct ".len() + end, "expected a table");
    }
    out
}

pub(super) fn array_of_tables<'i>(root: &mut DeTable<'i>, key: &str) -> Located<Vec<(Range<usize>, DeTable<'i>)>> {
    let Some(value) = root.remove(key) else { return Ok(Vec::new()) };
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        return Err((span, format!("`{key}` must be written as [[{key}]] tables")));
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::Table(table) => Ok((item.span(), table.clone())),
            other => Err((
                item.span(),
                format!("each `{key}` must be a table, found {} {}", article(other.type_str()), other.type_str()),
            )),
        })
        .collect()
}
