//! The spanned TOML document: dotted parameter paths (`component.app.servers`), setting
//! values at a path (for `--set` and `[sweep]`), and turning byte spans into
//! file:line:column diagnostics.

use std::borrow::Cow;
use std::fmt;
use std::ops::{DerefMut, Range};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a parameter path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A table key, or (inside an array of tables) the `name` of an element.
    Key(String),
    /// An array index, written `key[2]`.
    Index(usize),
}

/// Parses `component.app.service.mean` or `workload.w.arrival.steps[1].rate`.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    if path.trim().is_empty() {
        return Err("the parameter path is empty".into());
    }
    for part in path.split('.').map(str::trim) {
        let (key, mut rest) = match part.find('[') {
            Some(open) => (&part[..open], &part[open..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err(format!("empty segment in parameter path `{path}`"));
        }
        segments.push(Segment::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(|| format!("unclosed `[` in parameter path `{path}`"))?;
            let index = rest[1..close]
                .parse()
                .map_err(|_| format!("`{}` is not an array index in parameter path `{path}`", &rest[1..close]))?;
            segments.push(Segment::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("unexpected `{rest}` in parameter path `{path}`"));
            }
        }
    }
    Ok(segments)
}

fn element_named<'a, 'i>(items: &'a [Spanned<DeValue<'i>>], name: &str) -> Option<usize> {
    items.iter().position(|item| {
        item.get_ref().as_table().and_then(|table| table.get("name")).and_then(|value| value.get_ref().as_str())
            == Some(name)
    })
}

/// Span of the value at `path`, or of its deepest existing ancestor (the whole document if
/// nothing matches).
pub fn span_of(root: &Spanned<DeTable<'_>>, path: &str) -> Range<usize> {
    let Ok(segments) = parse_path(path) else { return root.span() };
    let mut span = root.span();
    let mut current: Option<&DeValue<'_>> = None;
    let mut table = Some(root.get_ref());
    for segment in &segments {
        let next = match (segment, table, current) {
            (Segment::Key(key), Some(table), _) => table.get(key.as_str()),
            (Segment::Key(name), None, Some(DeValue::Array(items))) => element_named(items, name).map(|i| &items[i]),
            (Segment::Index(index), None, Some(DeValue::Array(items))) => items.get(*index),
            _ => None,
        };
        let Some(next) = next else { break };
        span = next.span();
        current = Some(next.get_ref());
        table = next.get_ref().as_table();
    }
    span
}

/// Gives `value` and everything inside it the span `span` (values from `--set` or a sweep
/// are reported at the place in the file they replace).
pub fn respan<'i>(value: DeValue<'i>, span: Range<usize>) -> Spanned<DeValue<'i>> {
    let value = match value {
        DeValue::Array(mut items) => {
            for item in items.iter_mut() {
                let inner = std::mem::replace(item.get_mut(), DeValue::Boolean(false));
                *item = respan(inner, span.clone());
            }
            DeValue::Array(items)
        }
        DeValue::Table(table) => {
            let mut out = DeTable::new();
            for (key, value) in table {
                let key = Spanned::new(span.clone(), key.into_inner());
                out.insert(key, respan(value.into_inner(), span.clone()));
            }
            DeValue::Table(out)
        }
        other => other,
    };
    Spanned::new(span, value)
}

/// Sets the value at `path`, creating missing table keys; elements of arrays of tables are
/// found by their `name` and never created. Returns the span the new value was given: that
/// of the value it replaced, or of the table it was added to.
pub fn set_path<'i>(
    root: &mut Spanned<DeTable<'i>>,
    path: &str,
    value: DeValue<'i>,
    value_span: Option<Range<usize>>,
) -> Result<Range<usize>, String> {
    let segments = parse_path(path)?;
    let root_span = root.span();
    set_in_table(root.get_mut(), root_span, &segments, value, value_span, path)
}

fn set_in_table<'i>(
    table: &mut DeTable<'i>,
    table_span: Range<usize>,
    segments: &[Segment],
    value: DeValue<'i>,
    value_span: Option<Range<usize>>,
    path: &str,
) -> Result<Range<usize>, String> {
    let Segment::Key(key) = &segments[0] else {
        return Err(format!("`{path}`: an index must follow a key"));
    };
    if segments.len() == 1 {
        let span = value_span.unwrap_or_else(|| table.get(key.as_str()).map(Spanned::span).unwrap_or(table_span));
        let key_span = table.get_key_value(key.as_str()).map(|(k, _)| k.span()).unwrap_or(span.clone());
        table.insert(Spanned::new(key_span, Cow::Owned(key.clone())), respan(value, span.clone()));
        return Ok(span);
    }
    if !table.contains_key(key.as_str()) {
        if matches!(segments[1], Segment::Index(_)) {
            return Err(format!("`{path}`: there is no array `{key}`"));
        }
        if ["component", "workload", "fault"].contains(&key.as_str()) {
            return Err(format!("`{path}`: the scenario has no `[[{key}]]` table to set; add one to the file"));
        }
        table.insert(
            Spanned::new(table_span.clone(), Cow::Owned(key.clone())),
            Spanned::new(table_span.clone(), DeValue::Table(DeTable::new())),
        );
    }
    let child = table.get_mut(key.as_str()).expect("inserted above");
    set_in_value(child, &segments[1..], value, value_span, path)
}

fn set_in_value<'i>(
    node: &mut Spanned<DeValue<'i>>,
    segments: &[Segment],
    value: DeValue<'i>,
    value_span: Option<Range<usize>>,
    path: &str,
) -> Result<Range<usize>, String> {
    let span = node.span();
    match (node.get_mut(), &segments[0]) {
        (DeValue::Table(table), Segment::Key(_)) => set_in_table(table, span, segments, value, value_span, path),
        (DeValue::Array(items), segment) => {
            let index = match segment {
                Segment::Index(index) => {
                    if *index >= items.len() {
                        return Err(format!("`{path}`: index {index} is past the end (there are {})", items.len()));
                    }
                    *index
                }
                Segment::Key(name) => element_named(items, name).ok_or_else(|| {
                    let names: Vec<String> = items
                        .iter()
                        .filter_map(|item| {
                            item.get_ref().as_table()?.get("name")?.get_ref().as_str().map(|n| format!("`{n}`"))
                        })
                        .collect();
                    if name.parse::<usize>().is_ok() {
                        let suggested = path.replacen(&format!(".{name}"), &format!("[{name}]"), 1);
                        return format!(
                            "`{path}`: elements are addressed by name or by position in brackets: did you mean `{suggested}`?"
                        );
                    }
                    if names.is_empty() {
                        return format!(
                            "`{path}`: nothing is named `{name}`, and these elements have no `name`: address them by position, e.g. `fault[0]`"
                        );
                    }
                    let bare: Vec<&str> = names.iter().map(|n| n.trim_matches('`')).collect();
                    let hint = crate::model::did_you_mean(name, bare.iter().copied());
                    format!("`{path}`: nothing is named `{name}` (names here: {}){hint}", names.join(", "))
                })?,
            };
            let item = &mut items.deref_mut()[index];
            if segments.len() == 1 {
                let span = value_span.unwrap_or_else(|| item.span());
                *item = respan(value, span.clone());
                return Ok(span);
            }
            set_in_value(item, &segments[1..], value, value_span, path)
        }
        _ => {
            let kind = node.get_ref().type_str();
            Err(format!("`{path}`: cannot go inside {} {kind} value", crate::model::article(kind)))
        }
    }
}

/// Parses the text of a `--set` value: any TOML value (`3`, `true`, `"x"`, `{ a = 1 }`), or
/// else the text itself as a string (so `--set simulation.duration=10m` works unquoted).
pub fn parse_override_value(text: &str) -> DeValue<'_> {
    match DeValue::parse(text) {
        Ok(value) => value.into_inner(),
        Err(_) => DeValue::String(Cow::Borrowed(text)),
    }
}

/// A short text form of a value, for the parameter columns of the outputs.
pub fn display_value(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => s.to_string(),
        DeValue::Integer(i) => i.as_str().replace('_', ""),
        DeValue::Float(f) => f.as_str().replace('_', ""),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        DeValue::Array(items) => {
            let parts: Vec<String> = items.iter().map(|item| display_value(item.get_ref())).collect();
            format!("[{}]", parts.join(", "))
        }
        DeValue::Table(table) => {
            let parts: Vec<String> =
                table.iter().map(|(k, v)| format!("{} = {}", k.get_ref(), display_value(v.get_ref()))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

/// An error located in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
    /// The offending line.
    pub source_line: String,
    /// Width of the underline (at least 1).
    pub width: usize,
    /// Context such as which `--set` or sweep point supplied the value.
    pub note: Option<String>,
}

impl Diagnostic {
    /// Locates `span` in `source`.
    pub fn new(file: &str, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = span.start.min(source.len());
        let start = (0..=start).rev().find(|i| source.is_char_boundary(*i)).unwrap_or(0);
        let line_start = source[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line_end = source[start..].find('\n').map(|i| start + i).unwrap_or(source.len());
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let end = span.end.clamp(start, line_end);
        let end = (start..=end).rev().find(|i| source.is_char_boundary(*i)).unwrap_or(start);
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            source_line: source[line_start..line_end].trim_end_matches('\r').to_string(),
            width: source[start..end].chars().count().max(1),
            note: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)?;
        let gutter = self.line.to_string().len();
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{} | {}", self.line, self.source_line)?;
        // Keep tabs before the caret so it lines up under the offending text.
        let pad: String =
            self.source_line.chars().take(self.column - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        write!(f, "{:gutter$} | {pad}{}", "", "^".repeat(self.width))?;
        if let Some(note) = &self.note {
            write!(f, "\n{:gutter$} = note: {note}", "")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name = \"x\"\n[[component]]\nname = \"app\"\nservers = 2\nservice = { dist = \"exponential\", mean = \"1s\" }\n";

    #[test]
    fn paths_parse() {
        assert_eq!(
            parse_path("a.b[2].c").unwrap(),
            vec![Segment::Key("a".into()), Segment::Key("b".into()), Segment::Index(2), Segment::Key("c".into())]
        );
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[x]").is_err());
    }

    #[test]
    fn span_lookup_finds_named_elements() {
        let root = DeTable::parse(DOC).unwrap();
        let span = span_of(&root, "component.app.servers");
        assert_eq!(&DOC[span], "2");
        let span = span_of(&root, "component.app.service.mean");
        assert_eq!(&DOC[span], "\"1s\"");
    }

    #[test]
    fn set_replaces_and_inserts() {
        let mut root = DeTable::parse(DOC).unwrap();
        let span = set_path(&mut root, "component.app.servers", parse_override_value("4"), None).unwrap();
        assert_eq!(&DOC[span], "2", "the new value is reported where the old one was");
        set_path(&mut root, "component.app.queue_limit", parse_override_value("10"), None).unwrap();
        set_path(&mut root, "simulation.duration", parse_override_value("10m"), None).unwrap();
        let err = set_path(&mut root, "component.db.servers", parse_override_value("1"), None).unwrap_err();
        assert!(err.contains("nothing is named `db`"), "{err}");
        let table = root.get_ref();
        let app = table.get("component").unwrap().get_ref().as_array().unwrap()[0].get_ref().as_table().unwrap();
        assert_eq!(app.get("servers").unwrap().get_ref().as_integer().unwrap().as_str(), "4");
        assert!(app.contains_key("queue_limit"));
        let sim = table.get("simulation").unwrap().get_ref().as_table().unwrap();
        assert_eq!(sim.get("duration").unwrap().get_ref().as_str(), Some("10m"));
    }

    #[test]
    fn diagnostic_points_at_line_and_column() {
        let source = "a = 1\nbb = 2\n";
        let diagnostic = Diagnostic::new("f.toml", source, 6..8, "bad");
        assert_eq!((diagnostic.line, diagnostic.column, diagnostic.width), (2, 1, 2));
        assert!(diagnostic.to_string().starts_with("f.toml:2:1: bad"));
    }
}
