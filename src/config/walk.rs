//! The generic half of the configuration check: walking a parsed TOML document against tables of
//! known keys, and recording every problem with its dotted key and line instead of stopping at the
//! first.
//!
//! The schema itself lives in `schema.rs`; this module knows nothing about datareq's keys.

use std::ops::Range;

use toml_edit::{Item, TableLike};

use super::error::ConfigProblem;

/// Where a key or value is: its dotted path and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub path: String,
    pub line: usize,
}

impl Loc {
    pub fn root() -> Loc {
        Loc {
            path: String::new(),
            line: 1,
        }
    }

    /// The location of key `name` inside this table.
    pub fn key(&self, name: &str, line: usize) -> Loc {
        // Quote keys that are not bare TOML keys, so that a key containing a dot cannot be
        // mistaken for a nested path.
        let segment = if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            name.to_string()
        } else {
            format!("{name:?}")
        };
        let path = if self.path.is_empty() {
            segment
        } else {
            format!("{}.{segment}", self.path)
        };
        Loc { path, line }
    }

    /// The location of element `index` of this array.
    pub fn index(&self, index: usize, line: usize) -> Loc {
        Loc {
            path: format!("{}[{index}]", self.path),
            line,
        }
    }
}

/// Checks one key's value and stores the result in the section being built.
pub(crate) type ParseFn<T> = fn(&mut Walker, &Loc, &Item, &mut T);

/// One row of a schema table: a key that may appear in a section.
pub(crate) struct KeySpec<T: 'static> {
    pub name: &'static str,
    /// Missing required keys are reported; optional ones take the default.
    pub required: bool,
    pub parse: ParseFn<T>,
}

/// Collects problems while the schema is walked.
pub(crate) struct Walker {
    /// Byte offset at which each line starts, to turn spans into line numbers.
    line_starts: Vec<usize>,
    problems: Vec<ConfigProblem>,
}

impl Walker {
    pub fn new(text: &str) -> Walker {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Walker {
            line_starts,
            problems: Vec::new(),
        }
    }

    /// 1-based line of a byte offset.
    pub fn line_at(&self, offset: usize) -> usize {
        // line_starts[0] is 0, so at least one start is <= offset.
        self.line_starts.partition_point(|&start| start <= offset)
    }

    /// The line a span starts on; `fallback` when the parser gave no span (implicit tables).
    pub fn line_of(&self, span: Option<Range<usize>>, fallback: usize) -> usize {
        span.map_or(fallback, |s| self.line_at(s.start))
    }

    /// Records a problem. `message` must not contain anything read from the file.
    pub fn problem(&mut self, loc: &Loc, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            key: loc.path.clone(),
            line: loc.line,
            message: message.into(),
        });
    }

    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    pub fn into_problems(self) -> Vec<ConfigProblem> {
        self.problems
    }

    /// Walks `table` against `specs`: known keys are handed to their parse function, unknown
    /// keys and missing required keys are reported. `loc` is the table's own location.
    pub fn walk<T>(&mut self, loc: &Loc, table: &dyn TableLike, specs: &[KeySpec<T>], out: &mut T) {
        for (child, name, item) in self.entries(loc, table) {
            match specs.iter().find(|spec| spec.name == name) {
                Some(spec) => (spec.parse)(self, &child, item, out),
                None => {
                    let known: Vec<&str> = specs.iter().map(|spec| spec.name).collect();
                    self.problem(
                        &child,
                        format!("unknown key; expected one of: {}", known.join(", ")),
                    );
                }
            }
        }
        for spec in specs {
            if spec.required && !table.contains_key(spec.name) {
                self.problem(&loc.key(spec.name, loc.line), "missing required key");
            }
        }
    }

    /// The entries of a table, each with the location of its key. For tables whose keys are
    /// ids chosen by the user rather than a fixed schema.
    pub fn entries<'t>(
        &self,
        loc: &Loc,
        table: &'t dyn TableLike,
    ) -> Vec<(Loc, &'t str, &'t Item)> {
        table
            .iter()
            .map(|(name, item)| {
                let key_span = table.get_key_value(name).and_then(|(key, _)| key.span());
                (loc.key(name, self.line_of(key_span, loc.line)), name, item)
            })
            .collect()
    }

    /// The item as a table (`[section]` or inline `{ ... }`), or a type problem.
    pub fn table<'i>(&mut self, loc: &Loc, item: &'i Item) -> Option<&'i dyn TableLike> {
        let table = item.as_table_like();
        if table.is_none() {
            self.type_problem(loc, "a table", item.type_name());
        }
        table
    }

    /// The item as a list of tables (`[[section]]` or an array of inline tables), each with its
    /// location, or a type problem.
    pub fn tables<'i>(
        &mut self,
        loc: &Loc,
        item: &'i Item,
    ) -> Option<Vec<(Loc, &'i dyn TableLike)>> {
        if let Some(array) = item.as_array_of_tables() {
            let tables = array
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let line = self.line_of(t.span(), loc.line);
                    (loc.index(i, line), t as &dyn TableLike)
                })
                .collect();
            return Some(tables);
        }
        let Some(array) = item.as_array() else {
            self.type_problem(loc, "an array of tables", item.type_name());
            return None;
        };
        let mut tables = Vec::with_capacity(array.len());
        for (i, value) in array.iter().enumerate() {
            let element = loc.index(i, self.line_of(value.span(), loc.line));
            match value.as_inline_table() {
                Some(t) => tables.push((element, t as &dyn TableLike)),
                None => self.type_problem(&element, "a table", value.type_name()),
            }
        }
        Some(tables)
    }

    /// The item as a string, or a type problem.
    pub fn string(&mut self, loc: &Loc, item: &Item) -> Option<String> {
        let s = item.as_str();
        if s.is_none() {
            self.type_problem(loc, "a string", item.type_name());
        }
        s.map(str::to_string)
    }

    /// The item as an array of strings, each with its location. Elements of the wrong type are
    /// reported and left out.
    pub fn strings(&mut self, loc: &Loc, item: &Item) -> Option<Vec<(String, Loc)>> {
        let Some(array) = item.as_array() else {
            self.type_problem(loc, "an array of strings", item.type_name());
            return None;
        };
        let mut strings = Vec::with_capacity(array.len());
        for (i, value) in array.iter().enumerate() {
            let element = loc.index(i, self.line_of(value.span(), loc.line));
            match value.as_str() {
                Some(s) => strings.push((s.to_string(), element)),
                None => self.type_problem(&element, "a string", value.type_name()),
            }
        }
        Some(strings)
    }

    /// Reports a wrong type by naming both types: telling what was found is useful and reveals
    /// nothing of the value itself.
    pub fn type_problem(&mut self, loc: &Loc, expected: &str, found: &str) {
        let article = if found.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        self.problem(loc, format!("expected {expected}, found {article} {found}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_from_offsets() {
        let w = Walker::new("a\nbc\n\nd");
        assert_eq!(w.line_at(0), 1);
        assert_eq!(w.line_at(1), 1);
        assert_eq!(w.line_at(2), 2);
        assert_eq!(w.line_at(5), 3);
        assert_eq!(w.line_at(6), 4);
        assert_eq!(w.line_at(100), 4);
    }

    #[test]
    fn paths() {
        let providers = Loc::root().key("providers", 3);
        assert_eq!(
            providers.index(0, 4).key("aliases", 5).path,
            "providers[0].aliases"
        );
        assert_eq!(Loc::root().key("a.b", 1).path, "\"a.b\"");
    }
}
