//! Variable assignments of POSIX shell files that are sourced (`. file`),
//! such as /etc/default/grub: what the variables hold afterwards.
//!
//! The evaluator follows the Shell Command Language of POSIX (XCU 2.2-2.6)
//! as dash and bash implement it, for the part of the language such files
//! use: assignments (several on a line, `export NAME=value`, `unset NAME`),
//! comments, single and double quotes, backslash escapes and line
//! continuations, and `$NAME` / `${NAME}` expansion of earlier assignments
//! (assignment values are neither field-split nor globbed).
//!
//! Nothing is ever guessed. A value built from something the evaluator
//! cannot know (a command substitution, a tilde, a special parameter such
//! as `$1`, a variable the files never assign) is [`Var::Unknown`]. A
//! construct that could change variables in ways it does not follow (a
//! command, a conditional, a loop, a function, a redirection, any other
//! `${...}` form, arithmetic, a syntax error) makes every variable
//! [`Var::Unknown`] from there on, in this file and the files sourced after
//! it: control flow after it is unknown.
//!
//! One assumption is made: a command substitution succeeds (under `set -e`,
//! which grub-mkconfig uses, a failing one would stop the whole run).

use std::collections::HashMap;

/// Where a byte of a value was written: a file (an index into the caller's
/// list of files) and its 1-based line; line 0 for text no file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: u16,
    pub line: u32,
}

/// Text with the origin of each of its bytes, so that a word cut out of a
/// value built from several assignments still names the line it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traced {
    pub bytes: Vec<u8>,
    pub origins: Vec<Origin>,
}

impl Traced {
    pub fn new(text: &str, origin: Origin) -> Traced {
        let mut t = Traced::default();
        t.push_str(text, origin);
        t
    }

    pub fn push(&mut self, b: u8, origin: Origin) {
        self.bytes.push(b);
        self.origins.push(origin);
    }

    pub fn push_str(&mut self, text: &str, origin: Origin) {
        for b in text.bytes() {
            self.push(b, origin);
        }
    }

    pub fn extend(&mut self, other: &Traced) {
        self.bytes.extend_from_slice(&other.bytes);
        self.origins.extend_from_slice(&other.origins);
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// A variable's state after the files were sourced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Var {
    Unset,
    Set(Traced),
    /// Its value cannot be known statically; the text says why.
    Unknown(String),
}

/// Values longer than this are not followed: `A="$A$A"` repeated doubles
/// a value each line, and no configuration value comes close.
const MAX_VALUE: usize = 64 * 1024;

/// Words of one command are capped so that a hostile file costs bounded work.
const MAX_WORDS: usize = 10_000;

/// All expansions of all files together produce at most this many bytes:
/// a file of many `B=$A` lines copies a long value on each.
const MAX_EXPANDED: usize = 16 * 1024 * 1024;

/// The state of the shell across the files it sources.
#[derive(Debug, Clone)]
pub struct Shell {
    vars: HashMap<String, Var>,
    /// Why every variable is unknown from some point on, if it is.
    lost: Option<String>,
    /// Variables never assigned are unknown (grub-mkconfig and its
    /// environment set many), except these, which start unset.
    unset_at_start: Vec<String>,
    /// Bytes expansions produced so far (see [`MAX_EXPANDED`]).
    expanded: usize,
}

impl Shell {
    /// A shell in which `unset_at_start` are known to be unset before the
    /// first file; every other variable not assigned by the files is unknown.
    pub fn new(unset_at_start: &[&str]) -> Shell {
        Shell {
            vars: HashMap::new(),
            lost: None,
            unset_at_start: unset_at_start.iter().map(|s| s.to_string()).collect(),
            expanded: 0,
        }
    }

    /// A variable's state now.
    pub fn get(&self, name: &str) -> Var {
        if let Some(why) = &self.lost {
            return Var::Unknown(why.clone());
        }
        match self.vars.get(name) {
            Some(v) => v.clone(),
            None if self.unset_at_start.iter().any(|n| n == name) => Var::Unset,
            None => Var::Unknown(format!(
                "${name} is not assigned in these files; the program sourcing them or its environment may set it"
            )),
        }
    }

    /// Why every variable became unknown, if one did.
    pub fn lost(&self) -> Option<&str> {
        self.lost.as_deref()
    }

    /// Runs `text` as `. file` would; `file` is the index origins carry and
    /// `path` names the file in messages.
    pub fn source(&mut self, file: u16, path: &str, text: &str) {
        if self.lost.is_some() {
            return;
        }
        let mut lx = Lexer {
            s: text.as_bytes(),
            pos: 0,
            line: 1,
            file,
        };
        loop {
            match lx.command() {
                Ok(None) => break,
                Ok(Some(words)) => {
                    if let Err(why) = self.run(&words) {
                        self.lose(path, words.first().map_or(lx.line, |w| w.line), &why);
                        break;
                    }
                }
                Err(why) => {
                    self.lose(path, lx.line, &why);
                    break;
                }
            }
        }
    }

    fn lose(&mut self, path: &str, line: u32, why: &str) {
        self.lost = Some(format!(
            "{path}:{line}: {why}; what the variables hold from there on cannot be known"
        ));
    }

    fn run(&mut self, words: &[Word]) -> Result<(), String> {
        let mut i = 0;
        while let Some((name, value)) = words.get(i).and_then(Word::assignment) {
            let v = self.expand(value)?;
            self.vars.insert(name, v);
            i += 1;
        }
        let Some(first) = words.get(i) else {
            return Ok(());
        };
        if i > 0 {
            return Err("an assignment before a command applies to that command only".into());
        }
        match first.literal().as_deref() {
            Some("export") => {
                // Arguments of a command are all expanded before it runs:
                // `export A=1 B=$A` gives B the earlier A, unlike `A=1 B=$A`.
                let mut assigned = Vec::new();
                for w in &words[1..] {
                    if w.brace_expandable() {
                        return Err("bash brace-expands `export` arguments, dash does not".into());
                    }
                    if let Some((name, value)) = w.assignment() {
                        assigned.push((name, self.expand(value)?));
                    } else if !w.literal().is_some_and(|n| is_name(&n)) {
                        return Err("an `export` argument that is not NAME or NAME=value".into());
                    }
                }
                self.vars.extend(assigned);
                Ok(())
            }
            Some("unset") => {
                for w in &words[1..] {
                    match w.literal().as_deref() {
                        Some("-v") => {}
                        Some(n) if is_name(n) => {
                            self.vars.insert(n.to_string(), Var::Unset);
                        }
                        _ => return Err("an `unset` argument that is not a variable name".into()),
                    }
                }
                Ok(())
            }
            _ => Err(format!(
                "`{}` is a command, not an assignment",
                first.display()
            )),
        }
    }

    /// The value an assignment stores, counted against [`MAX_EXPANDED`].
    fn expand(&mut self, parts: &[Part]) -> Result<Var, String> {
        let v = self.expand_value(parts);
        if let Var::Set(t) = &v {
            self.expanded += t.len();
            if self.expanded > MAX_EXPANDED {
                return Err(format!(
                    "the files expand to more than {MAX_EXPANDED} bytes; not followed"
                ));
            }
        }
        Ok(v)
    }

    /// The value an assignment stores: no field splitting, no globbing.
    fn expand_value(&self, parts: &[Part]) -> Var {
        let mut out = Traced::default();
        // A tilde expands at the start of the value and after an unquoted
        // `:` (XCU 2.6.1); its value is a home directory.
        let mut tilde_may_start = true;
        for part in parts {
            match part {
                Part::Char { b, origin, quoted } => {
                    if *b == b'~' && !quoted && tilde_may_start {
                        return Var::Unknown(format!(
                            "line {}: a tilde expands to a home directory",
                            origin.line
                        ));
                    }
                    tilde_may_start = *b == b':' && !quoted;
                    out.push(*b, *origin);
                }
                Part::Param { name, line } => {
                    tilde_may_start = false;
                    match self.get(name) {
                        Var::Set(v) => out.extend(&v),
                        Var::Unset => {}
                        Var::Unknown(why) => {
                            return Var::Unknown(format!("line {line}: ${name}: {why}"))
                        }
                    }
                }
                Part::Unknown { why, line } => {
                    return Var::Unknown(format!("line {line}: {why}"));
                }
            }
            if out.len() > MAX_VALUE {
                return Var::Unknown(format!(
                    "the value is longer than {MAX_VALUE} bytes; not followed"
                ));
            }
        }
        Var::Set(out)
    }
}

/// A piece of a word before expansion.
#[derive(Debug, Clone)]
enum Part {
    Char {
        b: u8,
        origin: Origin,
        quoted: bool,
    },
    Param {
        name: String,
        line: u32,
    },
    /// An expansion whose result cannot be known (command substitution,
    /// special parameter).
    Unknown {
        why: String,
        line: u32,
    },
}

#[derive(Debug, Clone)]
struct Word {
    parts: Vec<Part>,
    line: u32,
}

impl Word {
    /// `NAME=value` with `NAME=` unquoted: the name and the value's parts.
    fn assignment(&self) -> Option<(String, &[Part])> {
        let mut name = String::new();
        for (i, part) in self.parts.iter().enumerate() {
            let Part::Char {
                b, quoted: false, ..
            } = part
            else {
                return None;
            };
            if *b == b'=' {
                return is_name(&name).then(|| (name, &self.parts[i + 1..]));
            }
            name.push(*b as char);
        }
        None
    }

    /// Whether bash would brace-expand the word as a command argument: an
    /// unquoted `{` with an unquoted `}` after it.
    fn brace_expandable(&self) -> bool {
        let unquoted = |want: u8| move |p: &Part| matches!(p, Part::Char { b, quoted: false, .. } if *b == want);
        self.parts
            .iter()
            .position(unquoted(b'{'))
            .is_some_and(|open| self.parts[open..].iter().any(unquoted(b'}')))
    }

    /// The word's text when it is only unquoted characters (how a shell
    /// recognizes `export` and reserved words).
    fn literal(&self) -> Option<String> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Char {
                    b, quoted: false, ..
                } => out.push(*b),
                _ => return None,
            }
        }
        String::from_utf8(out).ok()
    }

    fn display(&self) -> String {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Char { b, .. } => out.push(*b),
                Part::Param { name, .. } => out.extend(format!("${name}").bytes()),
                Part::Unknown { .. } => out.extend(b"$(...)"),
            }
        }
        let text = String::from_utf8_lossy(&out).into_owned();
        match text.char_indices().nth(40) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text,
        }
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits a file into simple commands (XCU 2.3, token recognition).
struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: u32,
    file: u16,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.s.get(self.pos + ahead).copied()
    }

    fn origin(&self) -> Origin {
        Origin {
            file: self.file,
            line: self.line,
        }
    }

    /// Advances over one byte, counting lines.
    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    /// The words of the next simple command; `None` at the end of the file.
    /// `Err` for anything but a simple command ended by `;` or a newline.
    fn command(&mut self) -> Result<Option<Vec<Word>>, String> {
        let mut words = Vec::new();
        loop {
            match self.peek() {
                None => return Ok((!words.is_empty()).then_some(words)),
                Some(b' ' | b'\t') => {
                    self.bump();
                }
                Some(b'\\') if self.peek_at(1) == Some(b'\n') => {
                    self.bump();
                    self.bump();
                }
                Some(b'\n') => {
                    self.bump();
                    if !words.is_empty() {
                        return Ok(Some(words));
                    }
                }
                Some(b'#') => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.bump();
                    }
                }
                Some(b';') => {
                    if self.peek_at(1) == Some(b';') || words.is_empty() {
                        return Err("syntax error near `;`".into());
                    }
                    self.bump();
                    return Ok(Some(words));
                }
                Some(b @ (b'&' | b'|' | b'<' | b'>' | b'(' | b')')) => {
                    return Err(format!(
                        "`{}` (a list, pipeline, redirection or subshell) is not followed",
                        b as char
                    ));
                }
                Some(0) => return Err("a NUL byte".into()),
                Some(_) => {
                    if words.len() >= MAX_WORDS {
                        return Err("too many words in one command".into());
                    }
                    words.push(self.word()?);
                }
            }
        }
    }

    fn word(&mut self) -> Result<Word, String> {
        let line = self.line;
        let mut parts = Vec::new();
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => break,
                0 => return Err("a NUL byte".into()),
                b'\\' => match self.peek_at(1) {
                    Some(b'\n') => {
                        self.bump();
                        self.bump();
                    }
                    Some(next) => {
                        self.bump();
                        let origin = self.origin();
                        self.bump();
                        parts.push(Part::Char {
                            b: next,
                            origin,
                            quoted: true,
                        });
                    }
                    None => {
                        // A backslash ending the file stays literal.
                        let origin = self.origin();
                        self.bump();
                        parts.push(Part::Char {
                            b,
                            origin,
                            quoted: true,
                        });
                    }
                },
                b'\'' => {
                    self.bump();
                    loop {
                        let origin = self.origin();
                        match self.bump() {
                            None => return Err("a single quote is not closed".into()),
                            Some(b'\'') => break,
                            Some(0) => return Err("a NUL byte".into()),
                            Some(c) => parts.push(Part::Char {
                                b: c,
                                origin,
                                quoted: true,
                            }),
                        }
                    }
                }
                b'"' => self.double_quoted(&mut parts)?,
                b'$' => self.dollar(&mut parts, false)?,
                b'`' => self.backquoted(&mut parts)?,
                _ => {
                    let origin = self.origin();
                    self.bump();
                    parts.push(Part::Char {
                        b,
                        origin,
                        quoted: false,
                    });
                }
            }
        }
        Ok(Word { parts, line })
    }

    /// `"..."`: a backslash escapes only `$`, `` ` ``, `"`, `\` and newline.
    fn double_quoted(&mut self, parts: &mut Vec<Part>) -> Result<(), String> {
        self.bump();
        loop {
            let Some(b) = self.peek() else {
                return Err("a double quote is not closed".into());
            };
            match b {
                b'"' => {
                    self.bump();
                    return Ok(());
                }
                0 => return Err("a NUL byte".into()),
                b'\\' => match self.peek_at(1) {
                    Some(b'\n') => {
                        self.bump();
                        self.bump();
                    }
                    Some(next @ (b'$' | b'`' | b'"' | b'\\')) => {
                        self.bump();
                        let origin = self.origin();
                        self.bump();
                        parts.push(Part::Char {
                            b: next,
                            origin,
                            quoted: true,
                        });
                    }
                    _ => {
                        let origin = self.origin();
                        self.bump();
                        parts.push(Part::Char {
                            b,
                            origin,
                            quoted: true,
                        });
                    }
                },
                b'$' => self.dollar(parts, true)?,
                b'`' => self.backquoted(parts)?,
                _ => {
                    let origin = self.origin();
                    self.bump();
                    parts.push(Part::Char {
                        b,
                        origin,
                        quoted: true,
                    });
                }
            }
        }
    }

    /// Skips line continuations (`\` newline), which the shell removes
    /// before it recognizes tokens, even inside `$NAME` and `${NAME}`.
    fn skip_continuations(&mut self) {
        while self.peek() == Some(b'\\') && self.peek_at(1) == Some(b'\n') {
            self.bump();
            self.bump();
        }
    }

    /// A name made of [`is_name_byte`] bytes, across line continuations.
    fn name(&mut self) -> String {
        let mut name = String::new();
        loop {
            self.skip_continuations();
            match self.peek() {
                Some(b) if is_name_byte(b) => {
                    name.push(b as char);
                    self.bump();
                }
                _ => return name,
            }
        }
    }

    /// A `$` and what follows it (XCU 2.6.2-2.6.4).
    fn dollar(&mut self, parts: &mut Vec<Part>, in_dq: bool) -> Result<(), String> {
        let line = self.line;
        let origin = self.origin();
        self.bump();
        self.skip_continuations();
        match self.peek() {
            Some(b'{') => {
                self.bump();
                let name = self.name();
                self.skip_continuations();
                if self.peek() == Some(b'}') && is_name(&name) {
                    self.bump();
                    parts.push(Part::Param { name, line });
                    Ok(())
                } else {
                    Err("a `${...}` form other than ${NAME} is not followed".into())
                }
            }
            Some(b'(') => {
                self.bump();
                self.skip_continuations();
                if self.peek() == Some(b'(') {
                    return Err("arithmetic expansion `$((...))` is not followed".into());
                }
                self.command_substitution()?;
                parts.push(Part::Unknown {
                    why: "a command substitution `$(...)` gives the output of a command".into(),
                    line,
                });
                Ok(())
            }
            Some(b) if is_name_start(b) => {
                let name = self.name();
                parts.push(Part::Param { name, line });
                Ok(())
            }
            Some(b) if b.is_ascii_digit() || b"@*#?-$!".contains(&b) => {
                self.bump();
                if b == b'$' && self.peek() == Some(b'{') {
                    return Err("bash reads `$${` as the start of `${`".into());
                }
                parts.push(Part::Unknown {
                    why: format!("${} is a special parameter", b as char),
                    line,
                });
                Ok(())
            }
            // bash's $'...', $"..." and $[...] (old arithmetic) differ from dash's.
            Some(b'\'' | b'"') if !in_dq => {
                Err("`$'...'` and `$\"...\"` differ between shells".into())
            }
            Some(b'[') => Err("`$[` is arithmetic to bash, text to dash".into()),
            _ => {
                parts.push(Part::Char {
                    b: b'$',
                    origin,
                    quoted: in_dq,
                });
                Ok(())
            }
        }
    }

    /// `` `...` ``: ends at the first backquote not escaped by a backslash.
    fn backquoted(&mut self, parts: &mut Vec<Part>) -> Result<(), String> {
        let line = self.line;
        self.bump();
        loop {
            match self.bump() {
                None => return Err("a backquote is not closed".into()),
                Some(b'\\') => {
                    self.bump();
                }
                Some(b'`') => break,
                Some(_) => {}
            }
        }
        parts.push(Part::Unknown {
            why: "a command substitution `` `...` `` gives the output of a command".into(),
            line,
        });
        Ok(())
    }

    /// Skips to the `)` closing a `$(`, following quotes, escapes, nested
    /// parentheses and comments. Constructs whose parentheses need a full
    /// parse (`case`, here-documents) are refused.
    fn command_substitution(&mut self) -> Result<(), String> {
        let mut depth = 1usize;
        let mut word_start = true;
        loop {
            let Some(b) = self.bump() else {
                return Err("a command substitution `$(` is not closed".into());
            };
            let was_word_start = word_start;
            word_start = matches!(b, b' ' | b'\t' | b'\n' | b';' | b'(' | b'|' | b'&');
            match b {
                b'\\' => {
                    self.bump();
                }
                b'\'' => loop {
                    match self.bump() {
                        None => return Err("a single quote is not closed".into()),
                        Some(b'\'') => break,
                        Some(_) => {}
                    }
                },
                b'"' => loop {
                    match self.bump() {
                        None => return Err("a double quote is not closed".into()),
                        Some(b'\\') => {
                            self.bump();
                        }
                        Some(b'"') => break,
                        Some(_) => {}
                    }
                },
                b'`' => loop {
                    match self.bump() {
                        None => return Err("a backquote is not closed".into()),
                        Some(b'\\') => {
                            self.bump();
                        }
                        Some(b'`') => break,
                        Some(_) => {}
                    }
                },
                b'#' if was_word_start => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.bump();
                    }
                }
                b'<' if self.peek() == Some(b'<') => {
                    return Err("a here-document inside `$(...)` is not followed".into())
                }
                b'c' if was_word_start && self.s[self.pos..].starts_with(b"ase") => {
                    let after = self.s.get(self.pos + 3).copied();
                    if after.is_none_or(|c| !is_name_byte(c)) {
                        return Err("`case` inside `$(...)` is not followed".into());
                    }
                }
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                0 => return Err("a NUL byte".into()),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[&str]) -> Shell {
        let mut sh = Shell::new(&["A", "B", "GRUB_CMDLINE_LINUX"]);
        for (i, f) in files.iter().enumerate() {
            sh.source(i as u16, &format!("f{i}"), f);
        }
        sh
    }

    fn text(sh: &Shell, name: &str) -> Option<String> {
        match sh.get(name) {
            Var::Set(t) => Some(t.text()),
            Var::Unset => Some(String::new()),
            Var::Unknown(_) => None,
        }
    }

    #[test]
    fn quotes_escapes_and_comments() {
        let sh = run(&[concat!(
            "# comment\n",
            "A='a  b' # trailing comment\n",
            "B=\"x \\\"y\\\" \\$z \\q\"\n",
            "C=a\\ b#not-a-comment\n",
            "D=\"multi\nline\"\n",
            "E=con\\\ntinued\n",
        )]);
        assert_eq!(text(&sh, "A").unwrap(), "a  b");
        assert_eq!(text(&sh, "B").unwrap(), "x \"y\" $z \\q");
        assert_eq!(text(&sh, "C").unwrap(), "a b#not-a-comment");
        assert_eq!(text(&sh, "D").unwrap(), "multi\nline");
        assert_eq!(text(&sh, "E").unwrap(), "continued");
    }

    #[test]
    fn expansions_of_earlier_assignments_and_appends() {
        let sh = run(&[
            "GRUB_CMDLINE_LINUX=\"quiet\"\nA=1 B=$A; export C=${A}2\n",
            "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX pti=on\"\n",
        ]);
        assert_eq!(text(&sh, "B").unwrap(), "1");
        assert_eq!(text(&sh, "C").unwrap(), "12");
        let Var::Set(v) = sh.get("GRUB_CMDLINE_LINUX") else {
            panic!()
        };
        assert_eq!(v.text(), "quiet pti=on");
        // each byte keeps the file and line that wrote it
        assert_eq!(v.origins[0], Origin { file: 0, line: 1 });
        assert_eq!(v.origins[7], Origin { file: 1, line: 1 });
    }

    #[test]
    fn unknown_values_stay_unknown() {
        // a line continuation inside an expansion
        let sh = run(&["A=1\nB=\"$\\\nA${\\\nA\\\n}\"\n"]);
        assert_eq!(text(&sh, "B").unwrap(), "11");
        let sh = run(&["A=`lsb_release -i -s 2>/dev/null || echo Debian`\nB=\"$A x\"\nC=$(echo ')')\nD=~/x\nE=$1\nF=a:b\n"]);
        assert_eq!(text(&sh, "A"), None);
        assert_eq!(text(&sh, "B"), None);
        assert_eq!(text(&sh, "C"), None);
        assert_eq!(text(&sh, "D"), None);
        assert_eq!(text(&sh, "E"), None);
        assert_eq!(text(&sh, "F").unwrap(), "a:b");
        // never assigned, and not known to start unset
        assert_eq!(text(&sh, "GRUB_DEVICE"), None);
        assert!(sh.lost().is_none());
    }

    #[test]
    fn constructs_not_followed_lose_every_variable() {
        for text in [
            "if true; then A=1; fi\n",
            "echo hi\n",
            "A=1 cmd\n",
            "f() { A=1; }\n",
            "A=${B:-x}\n",
            "A=$((1+1))\n",
            "A=1 && B=2\n",
            "A=1 >/dev/null\n",
            "A=\"unclosed\n",
            "A=$'bash'\n",
            "A=\"$[1+1]\"\n",
            "export A={,x}x\n",
            "A=\"$${\"\n",
            "readonly A\n",
        ] {
            let sh = run(&["B=known\n", text, "A=later\n"]);
            assert!(sh.lost().is_some(), "{text:?}");
            assert_eq!(sh.get("B"), sh.get("A"), "{text:?}");
            assert!(matches!(sh.get("B"), Var::Unknown(_)), "{text:?}");
        }
    }

    #[test]
    fn unset_and_export_forms() {
        let sh = run(&["A=1\nunset A\nexport B\nexport C=3 D\n"]);
        assert_eq!(text(&sh, "A").unwrap(), "");
        assert_eq!(text(&sh, "C").unwrap(), "3");
        // export's arguments are expanded before any is assigned
        let sh = run(&["export A=x A=$A B=$A\nA=y B=$A\n"]);
        assert_eq!(text(&sh, "A").unwrap(), "y");
        assert_eq!(text(&sh, "B").unwrap(), "y");
        let sh = run(&["export A=x B=$A\n"]);
        assert_eq!(text(&sh, "B").unwrap(), "");
        assert!(run(&["export -n A\n"]).lost().is_some());
        assert!(run(&["unset -f A\n"]).lost().is_some());
    }

    #[test]
    fn total_expansion_is_capped() {
        let mut text = String::from("A=");
        text.push_str(&"x".repeat(60 * 1024));
        text.push('\n');
        for _ in 0..400 {
            text.push_str("B=$A\n");
        }
        assert!(run(&[&text]).lost().is_some());
    }

    #[test]
    fn values_are_capped() {
        let mut text = String::from("A=xxxxxxxxxxxxxxxx\n");
        for _ in 0..20 {
            text.push_str("A=\"$A$A\"\n");
        }
        let sh = run(&[&text]);
        assert_eq!(self::text(&sh, "A"), None);
    }
}
