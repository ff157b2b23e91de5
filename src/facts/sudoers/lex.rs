//! The sudoers lexer: the rules of sudo 1.9.13's `toke.l`, matched the way
//! flex matches them. At each position every rule allowed in the current
//! start condition is tried, the longest match wins and, among equally long
//! ones, the rule written first; `^` rules match only at the start of a
//! line. Matching the same way is what makes the odd cases come out as sudo
//! reads them: `Defaultsx` is a word, `\ ` before a newline continues the
//! line, `#12` is a user ID and not a comment, `!!root` is `root`.
//!
//! The text of one file becomes a list of tokens; the end of a file always
//! ends the last entry, as it does for sudo.

/// One token, with what the lexer collected for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A path (or regex, or `sudoedit`) with its arguments as sudo stores
    /// them: escapes removed, one space between arguments.
    Command {
        cmnd: String,
        args: Option<String>,
    },
    Alias(String),
    DefVar(String),
    NetworkAddr(String),
    /// `+name`, with the `+`.
    Netgroup(String),
    /// `%name`, `%#gid`, `%:name`, with the `%`.
    UserGroup(String),
    Word(String),
    Digest(String),
    Include,
    IncludeDir,
    Defaults,
    DefaultsHost,
    DefaultsUser,
    DefaultsRunas,
    DefaultsCmnd,
    Tag(Tag),
    All,
    HostAlias,
    CmndAlias,
    UserAlias,
    RunasAlias,
    /// A lexical error, with sudo's message.
    Error(&'static str),
    /// A character no rule accepts.
    NoMatch,
    Chroot,
    Cwd,
    Type,
    Role,
    Timeout,
    NotBefore,
    NotAfter,
    /// `sha224` ... `sha512`: the digest algorithm.
    Sha(&'static str),
    Comma,
    Eq,
    Colon,
    Bang,
    PlusEq,
    MinusEq,
    LParen,
    RParen,
    /// The end of an entry: a newline, or a comment and its newline.
    Newline,
}

/// A command tag (`NOPASSWD:` and the like).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    NoPasswd,
    Passwd,
    NoExec,
    Exec,
    Intercept,
    NoIntercept,
    SetEnv,
    NoSetEnv,
    LogOutput,
    NoLogOutput,
    LogInput,
    NoLogInput,
    Mail,
    NoMail,
    Follow,
    NoFollow,
}

/// Tags in the order of their rules in toke.l.
const TAGS: &[(&str, Tag)] = &[
    ("NOPASSWD", Tag::NoPasswd),
    ("PASSWD", Tag::Passwd),
    ("NOEXEC", Tag::NoExec),
    ("EXEC", Tag::Exec),
    ("INTERCEPT", Tag::Intercept),
    ("NOINTERCEPT", Tag::NoIntercept),
    ("SETENV", Tag::SetEnv),
    ("NOSETENV", Tag::NoSetEnv),
    ("LOG_OUTPUT", Tag::LogOutput),
    ("NOLOG_OUTPUT", Tag::NoLogOutput),
    ("LOG_INPUT", Tag::LogInput),
    ("NOLOG_INPUT", Tag::NoLogInput),
    ("MAIL", Tag::Mail),
    ("NOMAIL", Tag::NoMail),
    ("FOLLOW", Tag::Follow),
    ("NOFOLLOW", Tag::NoFollow),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub line: u32,
    pub column: u32,
}

/// flex start conditions, as bits.
const INITIAL: u16 = 1;
const GOTDEFS: u16 = 2;
const GOTCMND: u16 = 4;
const GOTREGEX: u16 = 8;
const STARTDEFS: u16 = 16;
const INDEFS: u16 = 32;
const INSTR: u16 = 64;
const WANTDIGEST: u16 = 128;
const GOTINC: u16 = 256;
const EXPECTPATH: u16 = 512;
/// Rules without a start condition apply in INITIAL and the `%s` states.
const PLAIN: u16 = INITIAL | GOTDEFS | WANTDIGEST | EXPECTPATH;
const ANY: u16 = 0x3ff;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    DefsComma,
    DefsBlank,
    DefVar,
    InDefsComma,
    InDefsEq,
    InDefsPlus,
    InDefsMinus,
    InDefsQuote,
    Envar,
    StrCont,
    StrEnd,
    StrBackslash,
    StrBody,
    CmdGlobEsc,
    CmdSpecialEsc,
    CmdEnd,
    CmdArg,
    RegexEsc,
    RegexBad,
    RegexEnd,
    RegexBody,
    DigestHex,
    DigestB64,
    AtInclude,
    AtIncludeDir,
    HashInclude,
    HashIncludeDir,
    Defaults,
    AliasKw,
    Tag(usize),
    EmptyGroup,
    Netgroup,
    UserGroup,
    Ipv4Mask,
    Ipv4Cidr,
    Ipv6Mask,
    Ipv6Cidr,
    All,
    Timeout,
    NotBefore,
    NotAfter,
    Cwd,
    Chroot,
    Role,
    Type,
    Alias,
    DefsCommand,
    Sha(usize),
    Sudoedit,
    ExpectPath,
    Path,
    Regex,
    Quote,
    Word,
    IncWord,
    IncQuote,
    LParen,
    RParen,
    Comma,
    Eq,
    Colon,
    Bangs,
    Newline,
    Blank,
    Cont,
    Comment,
    Any,
}

const SHAS: &[(&str, usize)] = &[
    ("sha224", 28),
    ("sha256", 32),
    ("sha384", 48),
    ("sha512", 64),
];

/// The rules in toke.l order: (rule, start conditions, anchored at `^`).
const RULES: &[(Rule, u16, bool)] = &[
    (Rule::DefsComma, GOTDEFS, false),
    (Rule::DefsBlank, GOTDEFS, false),
    (Rule::DefVar, STARTDEFS, false),
    (Rule::InDefsComma, INDEFS, false),
    (Rule::InDefsEq, INDEFS, false),
    (Rule::InDefsPlus, INDEFS, false),
    (Rule::InDefsMinus, INDEFS, false),
    (Rule::InDefsQuote, INDEFS, false),
    (Rule::Envar, INDEFS, false),
    (Rule::StrCont, INSTR, false),
    (Rule::StrEnd, INSTR, false),
    (Rule::StrBackslash, INSTR, false),
    (Rule::StrBody, INSTR, false),
    (Rule::CmdGlobEsc, GOTCMND, false),
    (Rule::CmdSpecialEsc, GOTCMND, false),
    (Rule::CmdEnd, GOTCMND, false),
    (Rule::CmdArg, GOTCMND, false),
    (Rule::RegexEsc, GOTREGEX, false),
    (Rule::RegexBad, GOTREGEX, false),
    (Rule::RegexEnd, GOTREGEX, false),
    (Rule::RegexBody, GOTREGEX, false),
    (Rule::DigestHex, WANTDIGEST, false),
    (Rule::DigestB64, WANTDIGEST, false),
    (Rule::AtInclude, INITIAL, false),
    (Rule::AtIncludeDir, INITIAL, false),
    (Rule::HashInclude, INITIAL, true),
    (Rule::HashIncludeDir, INITIAL, true),
    (Rule::Defaults, INITIAL, true),
    (Rule::AliasKw, INITIAL, true),
    (Rule::Tag(0), PLAIN, false),
    (Rule::Tag(1), PLAIN, false),
    (Rule::Tag(2), PLAIN, false),
    (Rule::Tag(3), PLAIN, false),
    (Rule::Tag(4), PLAIN, false),
    (Rule::Tag(5), PLAIN, false),
    (Rule::Tag(6), PLAIN, false),
    (Rule::Tag(7), PLAIN, false),
    (Rule::Tag(8), PLAIN, false),
    (Rule::Tag(9), PLAIN, false),
    (Rule::Tag(10), PLAIN, false),
    (Rule::Tag(11), PLAIN, false),
    (Rule::Tag(12), PLAIN, false),
    (Rule::Tag(13), PLAIN, false),
    (Rule::Tag(14), PLAIN, false),
    (Rule::Tag(15), PLAIN, false),
    (Rule::EmptyGroup, INITIAL | GOTDEFS, false),
    (Rule::Netgroup, PLAIN, false),
    (Rule::UserGroup, PLAIN, false),
    (Rule::Ipv4Mask, PLAIN, false),
    (Rule::Ipv4Cidr, PLAIN, false),
    (Rule::Ipv6Mask, PLAIN, false),
    (Rule::Ipv6Cidr, PLAIN, false),
    (Rule::All, PLAIN, false),
    (Rule::Timeout, INITIAL, false),
    (Rule::NotBefore, INITIAL, false),
    (Rule::NotAfter, INITIAL, false),
    (Rule::Cwd, INITIAL, false),
    (Rule::Chroot, INITIAL, false),
    (Rule::Role, INITIAL, false),
    (Rule::Type, INITIAL, false),
    (Rule::Alias, PLAIN, false),
    (Rule::DefsCommand, GOTDEFS, false),
    (Rule::Sha(0), PLAIN, false),
    (Rule::Sha(1), PLAIN, false),
    (Rule::Sha(2), PLAIN, false),
    (Rule::Sha(3), PLAIN, false),
    (Rule::Sudoedit, PLAIN, false),
    (Rule::ExpectPath, EXPECTPATH, false),
    (Rule::Path, PLAIN, false),
    (Rule::Regex, PLAIN, false),
    (Rule::Quote, INITIAL | GOTDEFS, false),
    (Rule::Word, INITIAL | GOTDEFS, false),
    (Rule::IncWord, GOTINC, false),
    (Rule::IncQuote, GOTINC, false),
    (Rule::LParen, PLAIN, false),
    (Rule::RParen, PLAIN, false),
    (Rule::Comma, PLAIN, false),
    (Rule::Eq, PLAIN, false),
    (Rule::Colon, PLAIN, false),
    (Rule::Bangs, ANY, false),
    (Rule::Newline, ANY, false),
    (Rule::Blank, ANY, false),
    (Rule::Cont, ANY, false),
    (Rule::Comment, INITIAL | STARTDEFS | INDEFS, false),
    (Rule::Any, ANY, false),
];

fn blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `[[:space:]]` in the C locale.
fn space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// A command being collected across several matches.
struct Cmd {
    cmnd: Vec<u8>,
    args: Option<Vec<u8>>,
    line: u32,
    column: u32,
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    state: u16,
    prev_state: u16,
    bol: bool,
    continued: bool,
    sawspace: bool,
    line: u32,
    line_start: usize,
    digest_len: usize,
    cmd: Option<Cmd>,
    /// The string being collected inside double quotes: `None` while empty.
    string: Option<Vec<u8>>,
    string_at: (u32, u32),
    /// For each position, where the regex that could start there ends
    /// (see [`regex_ends`]).
    regex_end: Vec<Option<usize>>,
    out: Vec<Token>,
}

/// Splits the text of one sudoers file into tokens.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut bytes = text.as_bytes().to_vec();
    // sudo reads files line by line and gives a last line without a
    // newline one, so a file always ends its last entry.
    if !bytes.is_empty() && bytes.last() != Some(&b'\n') {
        bytes.push(b'\n');
    }
    let regex_end = regex_ends(&bytes);
    let mut lx = Lexer {
        s: &bytes,
        pos: 0,
        state: INITIAL,
        prev_state: INITIAL,
        bol: true,
        continued: false,
        sawspace: false,
        line: 1,
        line_start: 0,
        digest_len: 0,
        cmd: None,
        string: None,
        string_at: (1, 1),
        regex_end,
        out: Vec::new(),
    };
    lx.run();
    lx.out
}

/// Where a `{REGEX}` (`\^([^#\r\n$]|\\[#$])*\$`) whose body starts at each
/// position ends, computed once per file (right to left) so that no
/// position rescans its line. The body passes any byte but `#`, `$`, `\r`
/// and `\n`; `\#` and `\$` pass as pairs (a backslash may also stand
/// alone); a `$` may end the regex.
fn regex_ends(s: &[u8]) -> Vec<Option<usize>> {
    let n = s.len();
    let mut best: Vec<Option<usize>> = vec![None; n + 2];
    for j in (0..n).rev() {
        best[j] = match s[j] {
            b'\r' | b'\n' | b'#' => None,
            b'$' => Some(j + 1),
            b'\\' if matches!(s.get(j + 1), Some(b'#' | b'$')) => best[j + 1].max(best[j + 2]),
            _ => best[j + 1],
        };
    }
    best
}

impl<'a> Lexer<'a> {
    fn at(&self, j: usize) -> Option<u8> {
        self.s.get(j).copied()
    }

    fn lit(&self, i: usize, word: &[u8]) -> Option<usize> {
        self.s[i..].starts_with(word).then_some(word.len())
    }

    fn run_of(&self, i: usize, ok: impl Fn(u8) -> bool) -> usize {
        self.s[i..].iter().take_while(|b| ok(**b)).count()
    }

    /// `{WORD}`: `([^#>!=:,\(\) \t\r\n\\"]|\\[^\t\n])+`.
    fn word(&self, i: usize) -> usize {
        let mut j = i;
        while let Some(b) = self.at(j) {
            if b == b'\\' {
                match self.at(j + 1) {
                    Some(c) if c != b'\t' && c != b'\n' => j += 2,
                    _ => break,
                }
            } else if b"#>!=:,() \t\r\n\"".contains(&b) {
                break;
            } else {
                j += 1;
            }
        }
        j - i
    }

    /// `{ID}`: `#-?[0-9]+`.
    fn id(&self, i: usize) -> usize {
        if self.at(i) != Some(b'#') {
            return 0;
        }
        let j = i + 1 + usize::from(self.at(i + 1) == Some(b'-'));
        let digits = self.run_of(j, |b| b.is_ascii_digit());
        if digits == 0 {
            0
        } else {
            j + digits - i
        }
    }

    /// `{PATH}`: `\/(\\[,:= \t#]|[^,:=\\ \t\r\n#])+`.
    fn path(&self, i: usize) -> usize {
        if self.at(i) != Some(b'/') {
            return 0;
        }
        let mut j = i + 1;
        while let Some(b) = self.at(j) {
            if b == b'\\' {
                match self.at(j + 1) {
                    Some(c) if b",:= \t#".contains(&c) => j += 2,
                    _ => break,
                }
            } else if b",:= \t\r\n#".contains(&b) {
                break;
            } else {
                j += 1;
            }
        }
        if j == i + 1 {
            0
        } else {
            j - i
        }
    }

    /// `{REGEX}`.
    fn regex(&self, i: usize) -> usize {
        if self.at(i) != Some(b'^') {
            return 0;
        }
        self.regex_end[i + 1].map_or(0, |end| end - i)
    }

    /// `{ENVAR}`.
    fn envar(&self, i: usize) -> usize {
        let mut j = i;
        let mut first = true;
        while let Some(b) = self.at(j) {
            if b == b'\\' {
                match self.at(j + 1) {
                    Some(c) if c != b'\r' && c != b'\n' => j += 2,
                    _ => break,
                }
            } else if b"#=, \t\r\n\"".contains(&b) || (first && b == b'!') {
                break;
            } else {
                j += 1;
            }
            first = false;
        }
        j - i
    }

    /// Ends of `{OCTET}` from `i`: `(1?[0-9]{1,2})|(2[0-4][0-9])|(25[0-5])`.
    fn octet(&self, i: usize, out: &mut Vec<usize>) {
        let d = |j: usize| self.at(j).filter(u8::is_ascii_digit);
        if let Some(a) = d(i) {
            out.push(i + 1);
            if d(i + 1).is_some() {
                out.push(i + 2);
            }
            if a == b'1' && d(i + 1).is_some() && d(i + 2).is_some() {
                out.push(i + 3);
            }
            if a == b'2' {
                match (d(i + 1), d(i + 2)) {
                    (Some(b'0'..=b'4'), Some(_)) => out.push(i + 3),
                    (Some(b'5'), Some(b'0'..=b'5')) => out.push(i + 3),
                    _ => {}
                }
            }
        }
    }

    /// Ends of `{IPV4ADDR}` from each start.
    fn ipv4(&self, starts: &[usize]) -> Vec<usize> {
        let mut cur = Vec::new();
        for &s in starts {
            self.octet(s, &mut cur);
        }
        for _ in 0..3 {
            let mut next = Vec::new();
            for &e in &cur {
                if self.at(e) == Some(b'.') {
                    self.octet(e + 1, &mut next);
                }
            }
            next.sort_unstable();
            next.dedup();
            cur = next;
        }
        cur
    }

    /// Ends of `{HEX16}?:` repeated between `min` and `max` times.
    fn hex_colons(&self, i: usize, min: usize, max: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = vec![i];
        for rep in 1..=max {
            let mut next = Vec::new();
            for &p in &cur {
                let hex = self.run_of(p, |b| b.is_ascii_hexdigit()).min(4);
                for k in 0..=hex {
                    if self.at(p + k) == Some(b':') {
                        next.push(p + k + 1);
                    }
                }
            }
            next.sort_unstable();
            next.dedup();
            if rep >= min {
                out.extend(&next);
            }
            cur = next;
        }
        out
    }

    /// Ends of `{IPV6ADDR}` from each start.
    fn ipv6(&self, starts: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        for &i in starts {
            for e in self.hex_colons(i, 2, 7) {
                let hex = self.run_of(e, |b| b.is_ascii_hexdigit()).min(4);
                out.extend((0..=hex).map(|k| e + k));
            }
            for e in self.hex_colons(i, 2, 6) {
                if self.at(e) == Some(b':') {
                    out.extend(self.ipv4(&[e + 1]));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Longest end of `/` followed by a netmask matcher, or `e` itself.
    fn mask_len(
        &self,
        ends: &[usize],
        mask: impl Fn(usize) -> Vec<usize>,
        optional: bool,
    ) -> usize {
        let mut best = 0;
        for &e in ends {
            if optional {
                best = best.max(e);
            }
            if self.at(e) == Some(b'/') {
                if let Some(m) = mask(e + 1).into_iter().max() {
                    best = best.max(m);
                }
            }
        }
        best
    }

    /// Ends of `([12]?[0-9]|3[0-2])` (IPv4) or
    /// `([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])` (IPv6) from `i`.
    fn cidr(&self, i: usize, v6: bool) -> Vec<usize> {
        let d = |j: usize| self.at(j).filter(u8::is_ascii_digit);
        let mut out = Vec::new();
        let Some(a) = d(i) else { return out };
        out.push(i + 1);
        match (v6, a, d(i + 1)) {
            (false, b'1' | b'2', Some(_)) => out.push(i + 2),
            (false, b'3', Some(b'0'..=b'2')) => out.push(i + 2),
            (true, b'1'..=b'9', Some(_)) => out.push(i + 2),
            _ => {}
        }
        if v6 && a == b'1' {
            match (d(i + 1), d(i + 2)) {
                (Some(b'0' | b'1'), Some(_)) => out.push(i + 3),
                (Some(b'2'), Some(b'0'..=b'8')) => out.push(i + 3),
                _ => {}
            }
        }
        out
    }

    /// The length `rule` matches at the current position (0: no match).
    fn len_of(&self, rule: Rule) -> usize {
        let i = self.pos;
        let s = self.s;
        match rule {
            Rule::DefsComma => {
                let j = i + self.run_of(i, blank);
                if self.at(j) == Some(b',') {
                    j + 1 + self.run_of(j + 1, blank) - i
                } else {
                    0
                }
            }
            Rule::DefsBlank | Rule::Blank => self.run_of(i, blank),
            Rule::DefVar => self.run_of(i, |b| b.is_ascii_lowercase() || b == b'_'),
            Rule::InDefsComma | Rule::Comma => usize::from(self.at(i) == Some(b',')),
            Rule::InDefsEq | Rule::Eq => usize::from(self.at(i) == Some(b'=')),
            Rule::InDefsPlus => self.lit(i, b"+=").unwrap_or(0),
            Rule::InDefsMinus => self.lit(i, b"-=").unwrap_or(0),
            Rule::InDefsQuote | Rule::StrEnd | Rule::Quote | Rule::IncQuote => {
                usize::from(self.at(i) == Some(b'"'))
            }
            Rule::Envar => self.envar(i),
            Rule::StrCont => {
                if self.at(i) != Some(b'\\') {
                    return 0;
                }
                let mut j = i + 1 + self.run_of(i + 1, blank);
                if self.at(j) == Some(b'\r') {
                    j += 1;
                }
                if self.at(j) != Some(b'\n') {
                    return 0;
                }
                j += 1;
                j + self.run_of(j, blank) - i
            }
            Rule::StrBackslash => usize::from(self.at(i) == Some(b'\\')),
            Rule::StrBody => {
                let mut j = i;
                while let Some(b) = self.at(j) {
                    if b == b'\\' {
                        if self.at(j + 1) == Some(b'"') {
                            j += 2;
                        } else {
                            break;
                        }
                    } else if b == b'"' || b == b'\r' || b == b'\n' {
                        break;
                    } else {
                        j += 1;
                    }
                }
                j - i
            }
            Rule::CmdGlobEsc => match (self.at(i), self.at(i + 1)) {
                (Some(b'\\'), Some(c)) if b"*?[]!^".contains(&c) => 2,
                _ => 0,
            },
            Rule::CmdSpecialEsc => match (self.at(i), self.at(i + 1)) {
                (Some(b'\\'), Some(c)) if b":\\,= \t#".contains(&c) => 2,
                _ => 0,
            },
            Rule::CmdEnd => usize::from(self.at(i).is_some_and(|b| b"#:,=\r\n".contains(&b))),
            Rule::CmdArg => self.run_of(i, |b| !b"#\\:, \t\r\n".contains(&b)),
            Rule::RegexEsc => match (self.at(i), self.at(i + 1)) {
                (Some(b'\\'), Some(c)) if c != b'\r' && c != b'\n' => 2,
                _ => 0,
            },
            Rule::RegexBad => usize::from(self.at(i).is_some_and(|b| b"#\r\n".contains(&b))),
            Rule::RegexEnd => usize::from(self.at(i) == Some(b'$')),
            Rule::RegexBody => self.run_of(i, |b| !b"#\\\r\n$".contains(&b)),
            Rule::DigestHex => self.run_of(i, |b| b.is_ascii_hexdigit()),
            Rule::DigestB64 => self.run_of(i, |b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
            Rule::AtInclude => self.lit(i, b"@include").unwrap_or(0),
            Rule::AtIncludeDir => self.lit(i, b"@includedir").unwrap_or(0),
            Rule::HashInclude | Rule::HashIncludeDir => {
                let kw: &[u8] = if rule == Rule::HashInclude {
                    b"#include"
                } else {
                    b"#includedir"
                };
                let Some(k) = self.lit(i, kw) else { return 0 };
                let blanks = self.run_of(i + k, blank);
                if blanks == 0 {
                    return 0;
                }
                let mut j = i + k + blanks + self.run_of(i + k + blanks, |b| b != b'\n');
                if self.at(j) == Some(b'\n') {
                    j += 1;
                }
                j - i
            }
            Rule::Defaults => {
                let j = i + self.run_of(i, blank);
                let Some(k) = self.lit(j, b"Defaults") else {
                    return 0;
                };
                let j = j + k;
                // The optional binding: [:@>!] blanks !* "? (ID|WORD).
                if let Some(c) = self.at(j) {
                    if b":@>!".contains(&c) {
                        let mut p = j + 1;
                        p += self.run_of(p, blank);
                        p += self.run_of(p, |b| b == b'!');
                        if self.at(p) == Some(b'"') {
                            p += 1;
                        }
                        let w = self.id(p).max(self.word(p));
                        if w > 0 {
                            return p + w - i;
                        }
                    }
                }
                j - i
            }
            Rule::AliasKw => {
                let j = i + self.run_of(i, blank);
                for kw in [&b"Host"[..], b"Cmnd", b"Cmd", b"User", b"Runas"] {
                    if let Some(k) = self.lit(j, kw) {
                        if let Some(a) = self.lit(j + k, b"_Alias") {
                            return j + k + a - i;
                        }
                    }
                }
                0
            }
            Rule::Tag(t) => {
                let Some(k) = self.lit(i, TAGS[t].0.as_bytes()) else {
                    return 0;
                };
                let j = i + k + self.run_of(i + k, blank);
                if self.at(j) == Some(b':') {
                    j + 1 - i
                } else {
                    0
                }
            }
            Rule::EmptyGroup => match (self.at(i), self.at(i + 1)) {
                (Some(b'%'), Some(b':')) => 2,
                (Some(b'%'), _) | (Some(b'+'), _) => 1,
                _ => 0,
            },
            Rule::Netgroup => {
                if self.at(i) != Some(b'+') {
                    return 0;
                }
                let w = self.word(i + 1);
                if w == 0 {
                    0
                } else {
                    1 + w
                }
            }
            Rule::UserGroup => {
                if self.at(i) != Some(b'%') {
                    return 0;
                }
                let plain = self.word(i + 1).max(self.id(i + 1));
                let with_colon = if self.at(i + 1) == Some(b':') {
                    let w = self.word(i + 2).max(self.id(i + 2));
                    if w == 0 {
                        0
                    } else {
                        1 + w
                    }
                } else {
                    0
                };
                let w = plain.max(with_colon);
                if w == 0 {
                    0
                } else {
                    1 + w
                }
            }
            Rule::Ipv4Mask => {
                let ends = self.ipv4(&[i]);
                self.mask_len(&ends, |p| self.ipv4(&[p]), true)
                    .saturating_sub(i)
            }
            Rule::Ipv4Cidr => {
                let ends = self.ipv4(&[i]);
                self.mask_len(&ends, |p| self.cidr(p, false), false)
                    .saturating_sub(i)
            }
            Rule::Ipv6Mask => {
                let ends = self.ipv6(&[i]);
                self.mask_len(&ends, |p| self.ipv6(&[p]), true)
                    .saturating_sub(i)
            }
            Rule::Ipv6Cidr => {
                let ends = self.ipv6(&[i]);
                self.mask_len(&ends, |p| self.cidr(p, true), false)
                    .saturating_sub(i)
            }
            Rule::All => self.lit(i, b"ALL").unwrap_or(0),
            Rule::Timeout => self.lit(i, b"TIMEOUT").unwrap_or(0),
            Rule::NotBefore => self.lit(i, b"NOTBEFORE").unwrap_or(0),
            Rule::NotAfter => self.lit(i, b"NOTAFTER").unwrap_or(0),
            Rule::Cwd => self.lit(i, b"CWD").unwrap_or(0),
            Rule::Chroot => self.lit(i, b"CHROOT").unwrap_or(0),
            Rule::Role => self.lit(i, b"ROLE").unwrap_or(0),
            Rule::Type => self.lit(i, b"TYPE").unwrap_or(0),
            Rule::Alias => {
                if !self.at(i).is_some_and(|b| b.is_ascii_uppercase()) {
                    return 0;
                }
                1 + self.run_of(i + 1, |b| {
                    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'
                })
            }
            Rule::DefsCommand => self
                .path(i)
                .max(self.regex(i))
                .max(self.lit(i, b"sudoedit").unwrap_or(0)),
            Rule::Sha(k) => self.lit(i, SHAS[k].0.as_bytes()).unwrap_or(0),
            Rule::Sudoedit => self.lit(i, b"sudoedit").unwrap_or(0),
            Rule::ExpectPath => self.path(i).max(self.word(i)),
            Rule::Path => self.path(i),
            Rule::Regex => self.regex(i),
            Rule::Word => self.id(i).max(self.word(i)),
            Rule::IncWord => {
                match self.at(i) {
                    Some(b) if b != b'"' && !space(b) => {}
                    _ => return 0,
                }
                let mut j = i + 1;
                while let Some(b) = self.at(j) {
                    if b == b'\\' && self.at(j + 1).is_some_and(blank) {
                        j += 2;
                    } else if !space(b) {
                        j += 1;
                    } else {
                        break;
                    }
                }
                j - i
            }
            Rule::LParen => usize::from(self.at(i) == Some(b'(')),
            Rule::RParen => usize::from(self.at(i) == Some(b')')),
            Rule::Colon => usize::from(self.at(i) == Some(b':')),
            Rule::Bangs => self.run_of(i, |b| b == b'!'),
            Rule::Newline => match (self.at(i), self.at(i + 1)) {
                (Some(b'\n'), _) => 1,
                (Some(b'\r'), Some(b'\n')) => 2,
                _ => 0,
            },
            Rule::Cont => {
                if self.at(i) != Some(b'\\') {
                    return 0;
                }
                let mut j = i + 1 + self.run_of(i + 1, blank);
                if self.at(j) == Some(b'\r') {
                    j += 1;
                }
                if self.at(j) == Some(b'\n') {
                    j + 1 - i
                } else {
                    0
                }
            }
            Rule::Comment => {
                if self.at(i) != Some(b'#') {
                    return 0;
                }
                let body = |j: usize| j + self.run_of(j, |b| b != b'\n');
                let mut j = i + 1;
                match (self.at(j), self.at(j + 1)) {
                    (Some(b'-'), Some(c)) if !b"\r\n0123456789".contains(&c) => j = body(j + 2),
                    (Some(c), _) if !b"\r\n0123456789-".contains(&c) => j = body(j + 1),
                    _ => {}
                }
                if self.at(j) == Some(b'\n') {
                    j += 1;
                } else if self.at(j) == Some(b'\r') && self.at(j + 1) == Some(b'\n') {
                    j += 2;
                }
                j - i
            }
            Rule::Any => usize::from(i < s.len() && s[i] != b'\n'),
        }
    }

    /// Moves past `n` bytes, keeping line and column.
    fn advance(&mut self, n: usize) {
        for k in self.pos..self.pos + n {
            if self.s[k] == b'\n' {
                self.line += 1;
                self.line_start = k + 1;
            }
        }
        self.pos += n;
    }

    fn column(&self) -> u32 {
        u32::try_from(self.pos - self.line_start + 1).unwrap_or(u32::MAX)
    }

    fn emit(&mut self, tok: Tok, line: u32, column: u32) {
        self.out.push(Token { tok, line, column });
    }

    fn fill_args(&mut self, text: &[u8], addspace: bool) {
        if let Some(cmd) = &mut self.cmd {
            match &mut cmd.args {
                None => cmd.args = Some(text.to_vec()),
                Some(args) => {
                    if addspace {
                        args.push(b' ');
                    }
                    args.extend_from_slice(text);
                }
            }
        }
    }

    fn start_cmnd(&mut self, text: &[u8], line: u32, column: u32) {
        self.cmd = Some(Cmd {
            cmnd: fill_cmnd(text),
            args: None,
            line,
            column,
        });
    }

    fn finish_cmnd(&mut self) {
        if let Some(cmd) = self.cmd.take() {
            let tok = Tok::Command {
                cmnd: c_string(&cmd.cmnd),
                args: cmd.args.as_deref().map(c_string),
            };
            self.emit(tok, cmd.line, cmd.column);
        }
    }

    fn run(&mut self) {
        while self.pos < self.s.len() {
            let mut best: Option<(Rule, usize)> = None;
            let first = self.s[self.pos];
            for &(rule, states, anchored) in RULES {
                if states & self.state == 0 || (anchored && !self.bol) || !may_start(rule, first) {
                    continue;
                }
                let len = self.len_of(rule);
                if len > 0 && best.is_none_or(|(_, l)| len > l) {
                    best = Some((rule, len));
                }
            }
            let Some((rule, len)) = best else {
                // Only a newline in a state without a rule for it can get
                // here; consume it so the scan always moves on.
                self.advance(1);
                continue;
            };
            self.act(rule, len);
        }
        // At the end of the file: a pending command ends with it.
        match self.state {
            GOTCMND => self.finish_cmnd(),
            GOTREGEX => {
                let (line, column) = (self.line, self.column());
                self.cmd = None;
                self.emit(Tok::Error("unterminated regular expression"), line, column);
            }
            _ => {}
        }
    }

    /// The action of `rule`, which matched `len` bytes.
    fn act(&mut self, rule: Rule, len: usize) {
        let start = self.pos;
        let text: Vec<u8> = self.s[start..start + len].to_vec();
        let (line, column) = (self.line, self.column());
        // What flex records for `^` before the action runs.
        let bol_after = text.last() == Some(&b'\n');
        let mut consumed = len;
        let mut bol = bol_after;
        let mut token: Option<Tok> = None;
        match rule {
            Rule::DefsComma | Rule::InDefsComma | Rule::Comma => {
                if rule == Rule::InDefsComma {
                    self.state = STARTDEFS;
                }
                token = Some(Tok::Comma);
            }
            Rule::DefsBlank => self.state = STARTDEFS,
            Rule::DefVar => {
                self.state = INDEFS;
                token = Some(Tok::DefVar(fill(&text)));
            }
            Rule::InDefsEq | Rule::Eq => token = Some(Tok::Eq),
            Rule::InDefsPlus => token = Some(Tok::PlusEq),
            Rule::InDefsMinus => token = Some(Tok::MinusEq),
            Rule::InDefsQuote | Rule::Quote | Rule::IncQuote => {
                self.string = None;
                self.string_at = (line, column);
                self.prev_state = if rule == Rule::IncQuote {
                    INITIAL
                } else {
                    self.state
                };
                self.state = INSTR;
            }
            Rule::Envar => token = Some(Tok::Word(fill(&text))),
            Rule::StrCont => self.continued = true,
            Rule::StrEnd => {
                self.state = self.prev_state;
                let (l, c) = self.string_at;
                let tok = match self.string.take() {
                    None => Tok::Error("empty string"),
                    Some(s) => {
                        let s = c_string(&s);
                        if self.prev_state == INITIAL || self.prev_state == GOTDEFS {
                            match s.as_bytes().first() {
                                Some(b'%') if s == "%" || s == "%:" => Tok::Error("empty group"),
                                Some(b'%') => Tok::UserGroup(s),
                                Some(b'+') if s == "+" => Tok::Error("empty netgroup"),
                                Some(b'+') => Tok::Netgroup(s),
                                _ => Tok::Word(s),
                            }
                        } else {
                            Tok::Word(s)
                        }
                    }
                };
                self.emit(tok, l, c);
            }
            Rule::StrBackslash | Rule::StrBody => {
                let piece = copy_string(&text);
                self.string.get_or_insert_with(Vec::new).extend(piece);
            }
            Rule::CmdGlobEsc => {
                let sp = self.sawspace;
                self.fill_args(&text, sp);
                self.sawspace = false;
            }
            Rule::CmdSpecialEsc => {
                let sp = self.sawspace;
                self.fill_args(&text[1..], sp);
                self.sawspace = false;
            }
            Rule::CmdEnd => {
                self.state = INITIAL;
                consumed = 0;
                bol = false;
                self.finish_cmnd();
            }
            Rule::CmdArg => {
                let no_args = self.cmd.as_ref().is_none_or(|c| c.args.is_none());
                if no_args && text[0] == b'^' {
                    self.state = GOTREGEX;
                    consumed = 0;
                    bol = false;
                } else {
                    let sp = self.sawspace;
                    self.fill_args(&text, sp);
                    self.sawspace = false;
                }
            }
            Rule::RegexEsc => self.fill_args(&text, false),
            Rule::RegexBad => {
                consumed = 0;
                bol = false;
                self.state = INITIAL;
                self.cmd = None;
                token = Some(Tok::Error("unterminated regular expression"));
            }
            Rule::RegexEnd => {
                self.fill_args(b"$", false);
                self.state = INITIAL;
                self.continued = false;
                self.finish_cmnd();
            }
            Rule::RegexBody => {
                let mut t: &[u8] = &text;
                if self.continued {
                    while t.first().is_some_and(|b| blank(*b)) {
                        t = &t[1..];
                    }
                    self.continued = false;
                }
                if !t.is_empty() {
                    let t = t.to_vec();
                    self.fill_args(&t, false);
                }
            }
            Rule::DigestHex | Rule::DigestB64 => {
                let want = if rule == Rule::DigestHex {
                    self.digest_len * 2
                } else if text.last() == Some(&b'=') {
                    4 * self.digest_len.div_ceil(3)
                } else {
                    (4 * self.digest_len).div_ceil(3)
                };
                self.state = INITIAL;
                if len == want {
                    token = Some(Tok::Digest(fill(&text)));
                }
            }
            Rule::AtInclude | Rule::AtIncludeDir | Rule::HashInclude | Rule::HashIncludeDir => {
                if self.continued {
                    token = Some(Tok::Error("invalid line continuation"));
                } else {
                    if rule == Rule::HashInclude {
                        consumed = "#include".len();
                        bol = false;
                    } else if rule == Rule::HashIncludeDir {
                        consumed = "#includedir".len();
                        bol = false;
                    }
                    self.state = GOTINC;
                    token = Some(if matches!(rule, Rule::AtInclude | Rule::HashInclude) {
                        Tok::Include
                    } else {
                        Tok::IncludeDir
                    });
                }
            }
            Rule::Defaults => {
                if self.continued {
                    token = Some(Tok::Error("invalid line continuation"));
                } else {
                    let mut n = text.iter().take_while(|b| blank(**b)).count() + "Defaults".len();
                    let deftype = text.get(n).copied();
                    if deftype.is_some() {
                        n += 1;
                        n += text[n..].iter().take_while(|b| blank(**b)).count();
                    }
                    self.state = GOTDEFS;
                    let tok = match deftype {
                        Some(b':') => Tok::DefaultsUser,
                        Some(b'>') => Tok::DefaultsRunas,
                        Some(b'@') => Tok::DefaultsHost,
                        Some(b'!') => Tok::DefaultsCmnd,
                        _ => Tok::Defaults,
                    };
                    if tok != Tok::Defaults {
                        consumed = n;
                    }
                    token = Some(tok);
                }
            }
            Rule::AliasKw => {
                if self.continued {
                    token = Some(Tok::Error("invalid line continuation"));
                } else {
                    let first = text.iter().find(|b| !blank(**b)).copied();
                    token = Some(match first {
                        Some(b'H') => Tok::HostAlias,
                        Some(b'C') => Tok::CmndAlias,
                        Some(b'U') => Tok::UserAlias,
                        _ => Tok::RunasAlias,
                    });
                }
            }
            Rule::Tag(t) => token = Some(Tok::Tag(TAGS[t].1)),
            Rule::EmptyGroup => {
                token = Some(Tok::Error(if text[0] == b'+' {
                    "empty netgroup"
                } else {
                    "empty group"
                }))
            }
            Rule::Netgroup => token = Some(Tok::Netgroup(fill(&text))),
            Rule::UserGroup => token = Some(Tok::UserGroup(fill(&text))),
            Rule::Ipv4Mask | Rule::Ipv4Cidr => token = Some(Tok::NetworkAddr(fill(&text))),
            Rule::Ipv6Mask | Rule::Ipv6Cidr => {
                token = Some(if ipv6_valid(&text) {
                    Tok::NetworkAddr(fill(&text))
                } else {
                    Tok::Error("invalid IPv6 address")
                })
            }
            Rule::All => token = Some(Tok::All),
            Rule::Timeout => token = Some(Tok::Timeout),
            Rule::NotBefore => token = Some(Tok::NotBefore),
            Rule::NotAfter => token = Some(Tok::NotAfter),
            Rule::Role => token = Some(Tok::Role),
            Rule::Type => token = Some(Tok::Type),
            Rule::Cwd | Rule::Chroot => {
                self.prev_state = self.state;
                self.state = EXPECTPATH;
                token = Some(if rule == Rule::Cwd {
                    Tok::Cwd
                } else {
                    Tok::Chroot
                });
            }
            Rule::Alias => token = Some(Tok::Alias(fill(&text))),
            Rule::DefsCommand => {
                self.start_cmnd(&text, line, column);
                self.finish_cmnd();
            }
            Rule::Sha(k) => {
                self.digest_len = SHAS[k].1;
                self.state = WANTDIGEST;
                token = Some(Tok::Sha(SHAS[k].0));
            }
            Rule::Sudoedit | Rule::Regex => {
                self.state = GOTCMND;
                self.start_cmnd(&text, line, column);
            }
            Rule::ExpectPath => {
                self.state = self.prev_state;
                token = Some(Tok::Word(fill(&text)));
            }
            Rule::Path => {
                self.start_cmnd(&text, line, column);
                if text.last() == Some(&b'/') {
                    self.finish_cmnd();
                } else {
                    self.state = GOTCMND;
                }
            }
            Rule::Word => token = Some(Tok::Word(fill(&text))),
            Rule::IncWord => {
                self.state = INITIAL;
                token = Some(Tok::Word(fill(&text)));
            }
            Rule::LParen => token = Some(Tok::LParen),
            Rule::RParen => token = Some(Tok::RParen),
            Rule::Colon => token = Some(Tok::Colon),
            Rule::Bangs => {
                if len % 2 == 1 {
                    token = Some(Tok::Bang);
                }
            }
            Rule::Newline => {
                if self.state == INSTR {
                    self.string = None;
                    self.state = INITIAL;
                    consumed = 0;
                    token = Some(Tok::Error("unexpected line break in string"));
                } else {
                    self.state = INITIAL;
                    self.continued = false;
                    token = Some(Tok::Newline);
                }
            }
            Rule::Blank => self.sawspace = true,
            Rule::Cont => {
                self.sawspace = true;
                self.continued = true;
            }
            Rule::Comment => {
                if text.last() == Some(&b'\n') {
                    self.state = INITIAL;
                    self.continued = false;
                }
                token = Some(Tok::Newline);
            }
            Rule::Any => token = Some(Tok::NoMatch),
        }
        if let Some(tok) = token {
            self.emit(tok, line, column);
        }
        self.advance(consumed);
        self.bol = bol;
    }
}

/// Whether `rule` can match text starting with `b`: a cheap filter that
/// spares trying most rules at each position.
fn may_start(rule: Rule, b: u8) -> bool {
    match rule {
        Rule::Tag(t) => TAGS[t].0.as_bytes()[0] == b,
        Rule::Sha(_) | Rule::Sudoedit => b == b's',
        Rule::All => b == b'A',
        Rule::Timeout | Rule::Type => b == b'T',
        Rule::NotBefore | Rule::NotAfter => b == b'N',
        Rule::Cwd | Rule::Chroot => b == b'C',
        Rule::Role => b == b'R',
        Rule::AtInclude | Rule::AtIncludeDir => b == b'@',
        Rule::HashInclude | Rule::HashIncludeDir | Rule::Comment => b == b'#',
        Rule::Alias => b.is_ascii_uppercase(),
        Rule::Ipv4Mask | Rule::Ipv4Cidr => b.is_ascii_digit(),
        Rule::Ipv6Mask | Rule::Ipv6Cidr => b.is_ascii_hexdigit() || b == b':',
        Rule::Netgroup => b == b'+',
        Rule::UserGroup => b == b'%',
        Rule::EmptyGroup => b == b'+' || b == b'%',
        Rule::Path => b == b'/',
        Rule::Regex => b == b'^',
        Rule::Defaults => blank(b) || b == b'D',
        Rule::AliasKw => blank(b) || b"HCUR".contains(&b),
        Rule::LParen => b == b'(',
        Rule::RParen => b == b')',
        Rule::Comma => b == b',',
        Rule::Eq => b == b'=',
        Rule::Colon => b == b':',
        Rule::Bangs => b == b'!',
        Rule::Newline => b == b'\n' || b == b'\r',
        Rule::Blank => blank(b),
        Rule::Cont => b == b'\\',
        _ => true,
    }
}

/// `copy_string` of toke_util.c: `\x` becomes `x`, `\xHH` the byte HH.
fn copy_string(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        let rest = src.len() - i - 1;
        if src[i] == b'\\' && rest > 0 {
            if src[i + 1] == b'x' && rest >= 3 {
                if let Some(h) = hexchar(src[i + 2], src[i + 3]) {
                    out.push(h);
                    i += 4;
                    continue;
                }
            }
            out.push(src[i + 1]);
            i += 2;
        } else {
            out.push(src[i]);
            i += 1;
        }
    }
    out
}

fn hexchar(a: u8, b: u8) -> Option<u8> {
    let d = |c: u8| char::from(c).to_digit(16);
    Some((d(a)? * 16 + d(b)?) as u8)
}

/// `fill`: a word with its escapes resolved.
fn fill(text: &[u8]) -> String {
    c_string(&copy_string(text))
}

/// `fill_cmnd`: a regex is kept as written; a path loses the backslash
/// before `,` `:` `=` blank and `#`.
fn fill_cmnd(src: &[u8]) -> Vec<u8> {
    if src.first() == Some(&b'^') {
        return src.to_vec();
    }
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        if src[i] == b'\\' && i + 1 < src.len() && b",:= \t#".contains(&src[i + 1]) {
            out.push(src[i + 1]);
            i += 2;
        } else {
            out.push(src[i]);
            i += 1;
        }
    }
    out
}

/// The text as C sees it: it ends at the first NUL byte.
fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `ipv6_valid`: at most one `::` in the address and in the mask.
fn ipv6_valid(s: &[u8]) -> bool {
    let mut n = 0;
    for i in 0..s.len() {
        if s[i] == b':' && s.get(i + 1) == Some(&b':') {
            n += 1;
            if n > 1 {
                return false;
            }
        }
        if s[i] == b'/' {
            n = 0;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokens(text).into_iter().map(|t| t.tok).collect()
    }

    fn word(s: &str) -> Tok {
        Tok::Word(s.into())
    }

    fn cmd(c: &str, a: Option<&str>) -> Tok {
        Tok::Command {
            cmnd: c.into(),
            args: a.map(Into::into),
        }
    }

    #[test]
    fn user_spec() {
        assert_eq!(
            toks("%sudo ALL=(ALL:ALL) NOPASSWD: /bin/ls -l, !/bin/rm\n"),
            vec![
                Tok::UserGroup("%sudo".into()),
                Tok::All,
                Tok::Eq,
                Tok::LParen,
                Tok::All,
                Tok::Colon,
                Tok::All,
                Tok::RParen,
                Tok::Tag(Tag::NoPasswd),
                cmd("/bin/ls", Some("-l")),
                Tok::Comma,
                Tok::Bang,
                cmd("/bin/rm", None),
                Tok::Newline,
            ]
        );
    }

    #[test]
    fn defaults_with_bindings_and_values() {
        assert_eq!(
            toks("Defaults:alice,%adm !use_pty, env_keep += \"A B\"\n"),
            vec![
                Tok::DefaultsUser,
                word("alice"),
                Tok::Comma,
                Tok::UserGroup("%adm".into()),
                Tok::Bang,
                Tok::DefVar("use_pty".into()),
                Tok::Comma,
                Tok::DefVar("env_keep".into()),
                Tok::PlusEq,
                word("A B"),
                Tok::Newline,
            ]
        );
        assert_eq!(
            toks("Defaults!/bin/ls noexec\n"),
            vec![
                Tok::DefaultsCmnd,
                cmd("/bin/ls", None),
                Tok::DefVar("noexec".into()),
                Tok::Newline
            ]
        );
        // Longest match: `Defaultsx` is a word.
        assert_eq!(toks("Defaultsx\n")[0], word("Defaultsx"));
    }

    #[test]
    fn comments_ids_and_includes() {
        assert_eq!(toks("# a comment\n"), vec![Tok::Newline]);
        assert_eq!(toks("#1000 ALL=ALL\n")[0], word("#1000"));
        assert_eq!(
            toks("#include foo\n"),
            vec![Tok::Include, word("foo"), Tok::Newline]
        );
        assert_eq!(
            toks("#includedir /etc/sudoers.d\n"),
            vec![Tok::IncludeDir, word("/etc/sudoers.d"), Tok::Newline]
        );
        // Only at the start of the line.
        assert_eq!(toks(" #include foo\n"), vec![Tok::Newline]);
        assert_eq!(
            toks("@include \"a b\"\n"),
            vec![Tok::Include, word("a b"), Tok::Newline]
        );
        assert_eq!(
            toks("@include a\\ b\n"),
            vec![Tok::Include, word("a b"), Tok::Newline]
        );
    }

    #[test]
    fn continuations() {
        assert_eq!(
            toks("alice ALL = /bin/a, \\\n  /bin/b\n"),
            vec![
                word("alice"),
                Tok::All,
                Tok::Eq,
                cmd("/bin/a", None),
                Tok::Comma,
                cmd("/bin/b", None),
                Tok::Newline
            ]
        );
        // A backslash, blanks, newline continues even after a command.
        assert_eq!(
            toks("a ALL = /bin/ls \\ \nx\n")[3],
            cmd("/bin/ls", Some("x"))
        );
        // Defaults on a continued line is an error.
        assert!(toks("a ALL = /bin/a, \\\nDefaults x\n")
            .contains(&Tok::Error("invalid line continuation")));
    }

    #[test]
    fn escapes_and_negations() {
        assert_eq!(toks("!!root\n"), vec![word("root"), Tok::Newline]);
        assert_eq!(toks("a\\,b\n"), vec![word("a,b"), Tok::Newline]);
        assert_eq!(toks("a\\x41\n"), vec![word("aA"), Tok::Newline]);
        assert_eq!(
            toks("/bin/echo a\\:b\\=c\\ d\n")[0],
            cmd("/bin/echo", Some("a:b=c d"))
        );
        assert_eq!(toks("/bin/a\\,b\n")[0], cmd("/bin/a,b", None));
    }

    #[test]
    fn regexes_digests_and_addresses() {
        assert_eq!(
            toks("^/usr/bin/(a|b)$ ^x y$\n")[0],
            cmd("^/usr/bin/(a|b)$", Some("^x y$"))
        );
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            toks(&format!("sha256:{hex} /bin/true\n"))[..3],
            [Tok::Sha("sha256"), Tok::Colon, Tok::Digest(hex.into())]
        );
        assert_eq!(
            toks("10.0.0.0/8\n")[0],
            Tok::NetworkAddr("10.0.0.0/8".into())
        );
        assert_eq!(toks("fe80::1\n")[0], Tok::NetworkAddr("fe80::1".into()));
        assert_eq!(toks("a::b::c\n")[0], Tok::Error("invalid IPv6 address"));
        assert_eq!(toks("256.1.1.1\n")[0], word("256.1.1.1"));
    }

    #[test]
    fn strings() {
        assert_eq!(
            toks("Defaults x=\"a \\\"b\\\" c\\\\d\"\n")[3],
            word("a \"b\" c\\\\d")
        );
        assert_eq!(toks("Defaults x=\"\"\n")[3], Tok::Error("empty string"));
        assert!(toks("Defaults x=\"a\n").contains(&Tok::Error("unexpected line break in string")));
        assert_eq!(toks("\"%a b\"\n")[0], Tok::UserGroup("%a b".into()));
    }

    #[test]
    fn a_last_line_without_newline_ends_the_entry() {
        assert_eq!(
            toks("a ALL = /bin/ls"),
            vec![
                word("a"),
                Tok::All,
                Tok::Eq,
                cmd("/bin/ls", None),
                Tok::Newline
            ]
        );
    }
}
