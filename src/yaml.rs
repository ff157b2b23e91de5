//! A YAML document as a tree whose every node knows its line and column.
//!
//! Policy files are decoded from this tree by hand rather than through serde,
//! so loading can report *every* problem with its position, reject duplicate
//! keys (which YAML libraries silently merge), and type scalars the way rules
//! need: YAML 1.2 core schema, where `no` and `yes` are strings.

use crate::diag::Diagnostic;
use saphyr_parser::{Event, Parser, ScalarStyle};

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// 1-based line and column of the node's first character.
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// Quoted and block scalars are always strings; plain ones may be
    /// numbers, booleans or null.
    pub plain: bool,
}

/// What a scalar means under the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

impl Scalar {
    pub fn typed(&self) -> Typed<'_> {
        if !self.plain {
            return Typed::Str(&self.text);
        }
        let t = self.text.as_str();
        match t {
            "" | "~" | "null" | "Null" | "NULL" => return Typed::Null,
            "true" | "True" | "TRUE" => return Typed::Bool(true),
            "false" | "False" | "FALSE" => return Typed::Bool(false),
            _ => {}
        }
        if is_core_int(t) {
            if let Ok(i) = t.parse::<i64>() {
                return Typed::Int(i);
            }
        }
        if is_core_float(t) {
            if let Ok(f) = t.parse::<f64>() {
                return Typed::Float(f);
            }
        }
        Typed::Str(t)
    }
}

fn is_core_int(t: &str) -> bool {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_core_float(t: &str) -> bool {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => seen_digit = true,
            '.' if !seen_dot => seen_dot = true,
            'e' | 'E' if seen_digit => {
                if matches!(chars.peek(), Some('+') | Some('-')) {
                    chars.next();
                }
                return chars.peek().is_some() && chars.all(|c| c.is_ascii_digit());
            }
            _ => return false,
        }
    }
    seen_digit && seen_dot
}

impl Node {
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar(s) => match s.typed() {
                Typed::Null => "null",
                Typed::Bool(_) => "a boolean",
                Typed::Int(_) | Typed::Float(_) => "a number",
                Typed::Str(_) => "a string",
            },
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.as_scalar().map(Scalar::typed), Some(Typed::Null))
    }

    pub fn diag(&self, file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(file, message).at(self.line, Some(self.column))
    }
}

/// Parses one YAML document. An empty file is an empty mapping.
pub fn parse(text: &str, file: &str) -> Result<Node, Diagnostic> {
    let mut builder = Builder::default();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            Diagnostic::new(file, format!("invalid YAML: {}", e.info()))
                .at(e.marker().line() as u32, Some(e.marker().col() as u32 + 1))
        })?;
        let line = span.start.line() as u32;
        let column = span.start.col() as u32 + 1;
        let at = |m: &str| Diagnostic::new(file, m).at(line, Some(column));
        match event {
            Event::DocumentStart(_) => {
                builder.documents += 1;
                if builder.documents > 1 {
                    return Err(at("a policy file holds one YAML document; found a second"));
                }
            }
            Event::Alias(_) => {
                return Err(at(
                    "YAML aliases (*name) are not supported in policy files; write the value out",
                ));
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 {
                    return Err(at("YAML anchors (&name) are not supported in policy files"));
                }
                if tag.is_some() {
                    return Err(at("YAML tags (!tag) are not supported in policy files"));
                }
                let plain = style == ScalarStyle::Plain;
                builder.push(Node {
                    kind: NodeKind::Scalar(Scalar {
                        text: value.into_owned(),
                        plain,
                    }),
                    line,
                    column,
                });
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) if anchor != 0 => {
                return Err(at("YAML anchors (&name) are not supported in policy files"));
            }
            Event::SequenceStart(..) => builder.open(NodeKind::Seq(Vec::new()), line, column),
            Event::MappingStart(..) => builder.open(NodeKind::Map(Vec::new()), line, column),
            Event::SequenceEnd | Event::MappingEnd => builder.close(),
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    Ok(builder.root.unwrap_or(Node {
        kind: NodeKind::Map(Vec::new()),
        line: 1,
        column: 1,
    }))
}

#[derive(Default)]
struct Builder {
    stack: Vec<(Node, Option<Node>)>,
    root: Option<Node>,
    documents: u32,
}

impl Builder {
    fn open(&mut self, kind: NodeKind, line: u32, column: u32) {
        self.stack.push((Node { kind, line, column }, None));
    }

    fn close(&mut self) {
        if let Some((node, _)) = self.stack.pop() {
            self.push(node);
        }
    }

    fn push(&mut self, node: Node) {
        let Some((parent, pending_key)) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        match &mut parent.kind {
            NodeKind::Seq(items) => items.push(node),
            NodeKind::Map(entries) => match pending_key.take() {
                Some(key) => entries.push((key, node)),
                None => *pending_key = Some(node),
            },
            NodeKind::Scalar(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> Vec<(Node, Node)> {
        match parse(text, "t.yaml").unwrap().kind {
            NodeKind::Map(m) => m,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn positions_are_one_based() {
        let m = map("a: 1\nbb:\n  - x\n");
        assert_eq!((m[0].0.line, m[0].0.column), (1, 1));
        assert_eq!((m[1].1.line, m[1].1.column), (3, 3));
    }

    #[test]
    fn core_schema_typing() {
        let m = map(
            "a: no\nb: 'true'\nc: true\nd: 22\ne: 0640\nf: 1.5\ng: ~\nh: \"22\"\ni: yes\nj: 1e3\n",
        );
        let typed: Vec<Typed> = m
            .iter()
            .map(|(_, v)| v.as_scalar().unwrap().typed())
            .collect();
        assert_eq!(typed[0], Typed::Str("no"));
        assert_eq!(typed[1], Typed::Str("true"));
        assert_eq!(typed[2], Typed::Bool(true));
        assert_eq!(typed[3], Typed::Int(22));
        assert_eq!(typed[4], Typed::Int(640));
        assert_eq!(typed[5], Typed::Float(1.5));
        assert_eq!(typed[6], Typed::Null);
        assert_eq!(typed[7], Typed::Str("22"));
        assert_eq!(typed[8], Typed::Str("yes"));
        assert_eq!(typed[9], Typed::Float(1000.0));
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_decoder_to_reject() {
        let m = map("a: 1\na: 2\n");
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse("a: [1, 2\nb: 3\n", "bad.yaml").unwrap_err();
        assert_eq!(e.file, "bad.yaml");
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn aliases_and_multiple_documents_are_refused() {
        let e = parse("a: &x 1\nb: *x\n", "f.yaml").unwrap_err();
        assert!(e.message.contains("anchors"), "{e}");
        let e = parse("a: 1\n---\nb: 2\n", "f.yaml").unwrap_err();
        assert!(e.message.contains("second"), "{e}");
    }

    #[test]
    fn empty_file_is_empty_map() {
        assert!(map("").is_empty());
        assert!(map("# just a comment\n").is_empty());
    }
}
