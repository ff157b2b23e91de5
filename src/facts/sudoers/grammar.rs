//! The sudoers grammar (sudo 1.9.13's `gram.y`) over the tokens of one
//! file. Every entry ends at a newline token; an entry with a syntax error
//! is dropped whole, as sudo's error recovery drops it, and reported.

use super::lex::{Tag, Tok, Token};
use super::options::{parse_timeout, Op};
use super::{AliasKind, BindingKind, CmndOptions, CmndSpec, Digest, Item, Member, Privilege, Tags};

/// One entry of a file, before includes and aliases are resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Include {
        path: String,
        dir: bool,
        line: u32,
    },
    Alias {
        kind: AliasKind,
        name: String,
        members: Vec<Member>,
        line: u32,
        column: u32,
    },
    Defaults {
        binding: BindingKind,
        members: Vec<Member>,
        settings: Vec<Setting>,
        line: u32,
    },
    UserSpec {
        users: Vec<Member>,
        privileges: Vec<Privilege>,
        line: u32,
    },
}

/// One `name`, `!name`, `name=value`, `name+=value` or `name-=value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub name: String,
    pub op: Op,
    pub value: Option<String>,
    pub line: u32,
    pub column: u32,
}

/// A syntax error: sudo's message and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub line: u32,
    pub column: u32,
}

/// The entries of one file's tokens, and the syntax errors met.
pub fn entries(tokens: &[Token]) -> (Vec<Entry>, Vec<SyntaxError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut start = 0;
    while start < tokens.len() {
        let end = tokens[start..]
            .iter()
            .position(|t| t.tok == Tok::Newline)
            .map_or(tokens.len(), |k| start + k);
        let eol = tokens.get(end);
        if end > start {
            let mut p = Parser {
                toks: &tokens[start..end],
                pos: 0,
                eol,
            };
            match p.entry() {
                Ok(mut e) => out.append(&mut e),
                Err(e) => errors.push(e),
            }
        }
        start = end + 1;
    }
    (out, errors)
}

struct Parser<'t> {
    toks: &'t [Token],
    pos: usize,
    /// The newline that ends the entry, for errors at its end.
    eol: Option<&'t Token>,
}

type Res<T> = Result<T, SyntaxError>;

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek2(&self) -> Option<&'t Tok> {
        self.toks.get(self.pos + 1).map(|t| &t.tok)
    }

    fn here(&self) -> (u32, u32) {
        match self.toks.get(self.pos).or(self.eol) {
            Some(t) => (t.line, t.column),
            None => self.toks.last().map_or((1, 1), |t| (t.line, t.column)),
        }
    }

    fn fail<T>(&self, message: &str) -> Res<T> {
        // A token the lexer rejected carries its own message.
        let message = match self.peek() {
            Some(Tok::Error(m)) => m,
            _ => message,
        };
        let (line, column) = self.here();
        Err(SyntaxError {
            message: message.to_string(),
            line,
            column,
        })
    }

    fn syntax<T>(&self) -> Res<T> {
        self.fail("syntax error")
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok) -> Res<()> {
        if self.eat(tok) {
            Ok(())
        } else {
            self.syntax()
        }
    }

    fn done(&self) -> Res<()> {
        if self.pos == self.toks.len() {
            Ok(())
        } else {
            self.syntax()
        }
    }

    fn word(&mut self) -> Res<String> {
        match self.peek() {
            Some(Tok::Word(w)) => {
                self.pos += 1;
                Ok(w.clone())
            }
            _ => self.syntax(),
        }
    }

    fn entry(&mut self) -> Res<Vec<Entry>> {
        let (line, _) = self.here();
        let Some(first) = self.peek() else {
            return Ok(Vec::new());
        };
        let entry = match first {
            Tok::Include | Tok::IncludeDir => {
                let dir = *first == Tok::IncludeDir;
                self.pos += 1;
                let path = self.word()?;
                self.done()?;
                vec![Entry::Include { path, dir, line }]
            }
            Tok::UserAlias | Tok::RunasAlias | Tok::HostAlias | Tok::CmndAlias => {
                let kind = match first {
                    Tok::UserAlias => AliasKind::User,
                    Tok::RunasAlias => AliasKind::Runas,
                    Tok::HostAlias => AliasKind::Host,
                    _ => AliasKind::Cmnd,
                };
                self.pos += 1;
                let mut out = Vec::new();
                loop {
                    let (line, column) = self.here();
                    let name = match self.peek() {
                        Some(Tok::Alias(n)) => n.clone(),
                        _ => return self.syntax(),
                    };
                    self.pos += 1;
                    self.expect(&Tok::Eq)?;
                    let members = match kind {
                        AliasKind::User | AliasKind::Runas => self.userlist()?,
                        AliasKind::Host => self.hostlist()?,
                        AliasKind::Cmnd => self.cmndlist()?,
                    };
                    out.push(Entry::Alias {
                        kind,
                        name,
                        members,
                        line,
                        column,
                    });
                    if !self.eat(&Tok::Colon) {
                        break;
                    }
                }
                self.done()?;
                out
            }
            Tok::Defaults
            | Tok::DefaultsUser
            | Tok::DefaultsRunas
            | Tok::DefaultsHost
            | Tok::DefaultsCmnd => {
                let binding = match first {
                    Tok::Defaults => BindingKind::Global,
                    Tok::DefaultsUser => BindingKind::User,
                    Tok::DefaultsRunas => BindingKind::Runas,
                    Tok::DefaultsHost => BindingKind::Host,
                    _ => BindingKind::Command,
                };
                self.pos += 1;
                let members = match binding {
                    BindingKind::Global => Vec::new(),
                    BindingKind::User | BindingKind::Runas => self.userlist()?,
                    BindingKind::Host => self.hostlist()?,
                    BindingKind::Command => self.cmndlist()?,
                };
                let settings = self.defaults_list()?;
                self.done()?;
                vec![Entry::Defaults {
                    binding,
                    members,
                    settings,
                    line,
                }]
            }
            _ => {
                let users = self.userlist()?;
                let mut privileges = vec![self.privilege()?];
                while self.eat(&Tok::Colon) {
                    privileges.push(self.privilege()?);
                }
                self.done()?;
                vec![Entry::UserSpec {
                    users,
                    privileges,
                    line,
                }]
            }
        };
        Ok(entry)
    }

    fn defaults_list(&mut self) -> Res<Vec<Setting>> {
        let mut out = vec![self.defaults_entry()?];
        while self.eat(&Tok::Comma) {
            out.push(self.defaults_entry()?);
        }
        Ok(out)
    }

    fn defaults_entry(&mut self) -> Res<Setting> {
        let (line, column) = self.here();
        let negated = self.eat(&Tok::Bang);
        let name = match self.peek() {
            Some(Tok::DefVar(n)) => n.clone(),
            _ => return self.syntax(),
        };
        self.pos += 1;
        let mut setting = Setting {
            name,
            op: if negated { Op::Negate } else { Op::Set },
            value: None,
            line,
            column,
        };
        if negated {
            return Ok(setting);
        }
        let op = match self.peek() {
            Some(Tok::Eq) => Op::Set,
            Some(Tok::PlusEq) => Op::Add,
            Some(Tok::MinusEq) => Op::Remove,
            _ => return Ok(setting),
        };
        self.pos += 1;
        setting.op = op;
        setting.value = Some(self.word()?);
        Ok(setting)
    }

    fn privilege(&mut self) -> Res<Privilege> {
        let hosts = self.hostlist()?;
        self.expect(&Tok::Eq)?;
        let mut commands: Vec<CmndSpec> = vec![self.cmndspec()?];
        while self.eat(&Tok::Comma) {
            let mut next = self.cmndspec()?;
            inherit(
                &mut next,
                commands.last().expect("one command spec at least"),
            );
            commands.push(next);
        }
        Ok(Privilege { hosts, commands })
    }

    fn cmndspec(&mut self) -> Res<CmndSpec> {
        let (runas_users, runas_groups) = if self.eat(&Tok::LParen) {
            let lists = self.runaslist()?;
            self.expect(&Tok::RParen)?;
            lists
        } else {
            (None, None)
        };
        let options = self.options()?;
        let mut tags = Tags::default();
        while let Some(Tok::Tag(t)) = self.peek() {
            let (field, on) = match t {
                Tag::NoPasswd => (&mut tags.nopasswd, true),
                Tag::Passwd => (&mut tags.nopasswd, false),
                Tag::NoExec => (&mut tags.noexec, true),
                Tag::Exec => (&mut tags.noexec, false),
                Tag::Intercept => (&mut tags.intercept, true),
                Tag::NoIntercept => (&mut tags.intercept, false),
                Tag::SetEnv => (&mut tags.setenv, true),
                Tag::NoSetEnv => (&mut tags.setenv, false),
                Tag::LogOutput => (&mut tags.log_output, true),
                Tag::NoLogOutput => (&mut tags.log_output, false),
                Tag::LogInput => (&mut tags.log_input, true),
                Tag::NoLogInput => (&mut tags.log_input, false),
                Tag::Mail => (&mut tags.mail, true),
                Tag::NoMail => (&mut tags.mail, false),
                Tag::Follow => (&mut tags.follow, true),
                Tag::NoFollow => (&mut tags.follow, false),
            };
            *field = Some(on);
            self.pos += 1;
        }
        let command = self.digcmnd()?;
        let mut spec = CmndSpec {
            runas_users,
            runas_groups,
            options,
            tags,
            command,
        };
        // gram.y implies SETENV when it reduces the command spec, before
        // the list carries tags over to it.
        imply_setenv(&mut spec);
        Ok(spec)
    }

    /// Inside `( )`: `users`, `users : groups`, `: groups`, `:` or nothing.
    #[allow(clippy::type_complexity)]
    fn runaslist(&mut self) -> Res<(Option<Vec<Member>>, Option<Vec<Member>>)> {
        let myself = || {
            Some(vec![Member {
                item: Item::Myself,
                negated: false,
                digests: Vec::new(),
            }])
        };
        match self.peek() {
            Some(Tok::RParen) => Ok((myself(), None)),
            Some(Tok::Colon) => {
                self.pos += 1;
                if self.peek() == Some(&Tok::RParen) {
                    Ok((myself(), None))
                } else {
                    Ok((None, Some(self.grouplist()?)))
                }
            }
            _ => {
                let users = self.userlist()?;
                if self.eat(&Tok::Colon) {
                    Ok((Some(users), Some(self.grouplist()?)))
                } else {
                    Ok((Some(users), None))
                }
            }
        }
    }

    fn options(&mut self) -> Res<CmndOptions> {
        let mut o = CmndOptions::default();
        loop {
            let kw = match self.peek() {
                Some(
                    t @ (Tok::Cwd
                    | Tok::Chroot
                    | Tok::Timeout
                    | Tok::NotBefore
                    | Tok::NotAfter
                    | Tok::Role
                    | Tok::Type),
                ) => t.clone(),
                _ => return Ok(o),
            };
            self.pos += 1;
            self.expect(&Tok::Eq)?;
            let at = self.pos;
            let value = self.word()?;
            let bad = |p: &Parser, m: &str| -> Res<CmndOptions> {
                let t = &p.toks[at];
                Err(SyntaxError {
                    message: m.to_string(),
                    line: t.line,
                    column: t.column,
                })
            };
            match kw {
                Tok::Cwd | Tok::Chroot => {
                    let name = if kw == Tok::Cwd { "CWD" } else { "CHROOT" };
                    if !value.starts_with('/') && !value.starts_with('~') && value != "*" {
                        return bad(
                            self,
                            &format!("values for \"{name}\" must start with a '/', '~', or '*'"),
                        );
                    }
                    if value.len() >= 4096 {
                        return bad(self, &format!("\"{name}\" path too long"));
                    }
                    if kw == Tok::Cwd {
                        o.cwd = Some(value);
                    } else {
                        o.chroot = Some(value);
                    }
                }
                Tok::Timeout => match parse_timeout(&value) {
                    Some(t) => o.timeout = Some(t),
                    None => return bad(self, "invalid timeout value"),
                },
                Tok::NotBefore | Tok::NotAfter => {
                    if !gentime_ok(&value) {
                        let which = if kw == Tok::NotBefore {
                            "notbefore"
                        } else {
                            "notafter"
                        };
                        return bad(self, &format!("invalid {which} value"));
                    }
                    if kw == Tok::NotBefore {
                        o.notbefore = Some(value);
                    } else {
                        o.notafter = Some(value);
                    }
                }
                Tok::Role => o.role = Some(value),
                _ => o.r#type = Some(value),
            }
        }
    }

    /// `Digest_List? '!'* Cmnd`.
    fn digcmnd(&mut self) -> Res<Member> {
        let mut digests = Vec::new();
        while let Some(Tok::Sha(alg)) = self.peek() {
            self.pos += 1;
            self.expect(&Tok::Colon)?;
            match self.peek() {
                Some(Tok::Digest(d)) => {
                    digests.push(Digest {
                        algorithm: (*alg).to_string(),
                        value: d.clone(),
                    });
                    self.pos += 1;
                }
                _ => return self.syntax(),
            }
            if !(self.peek() == Some(&Tok::Comma) && matches!(self.peek2(), Some(Tok::Sha(_)))) {
                break;
            }
            self.pos += 1;
        }
        let at = self.pos;
        let negated = self.eat(&Tok::Bang);
        let item = match self.peek() {
            Some(Tok::All) => Item::All,
            Some(Tok::Alias(a)) => Item::Alias(a.clone()),
            Some(Tok::Command { cmnd, args }) => {
                if cmnd.starts_with('/') && cmnd.rsplit('/').next() == Some("sudoedit") {
                    return self.fail("sudoedit should not be specified with a path");
                }
                Item::Command {
                    path: cmnd.clone(),
                    args: args.clone(),
                }
            }
            Some(Tok::Word(w)) if w == "list" => Item::Command {
                path: "list".into(),
                args: None,
            },
            Some(Tok::Word(_)) => return self.fail("expected a fully-qualified path name"),
            _ => return self.syntax(),
        };
        self.pos += 1;
        if !digests.is_empty() && matches!(item, Item::Alias(_)) {
            let t = &self.toks[at];
            return Err(SyntaxError {
                message: "a digest requires a path name".into(),
                line: t.line,
                column: t.column,
            });
        }
        Ok(Member {
            item,
            negated,
            digests,
        })
    }

    fn list(&mut self, one: fn(&mut Self) -> Res<Member>) -> Res<Vec<Member>> {
        let mut out = vec![one(self)?];
        while self.eat(&Tok::Comma) {
            out.push(one(self)?);
        }
        Ok(out)
    }

    fn cmndlist(&mut self) -> Res<Vec<Member>> {
        self.list(Self::digcmnd)
    }

    fn userlist(&mut self) -> Res<Vec<Member>> {
        self.list(|p| {
            let negated = p.eat(&Tok::Bang);
            let item = match p.peek() {
                Some(Tok::Alias(a)) => Item::Alias(a.clone()),
                Some(Tok::All) => Item::All,
                Some(Tok::Netgroup(n)) => Item::Netgroup(n.clone()),
                Some(Tok::UserGroup(g)) => Item::Group(g.clone()),
                Some(Tok::Word(w)) => Item::Name(w.clone()),
                _ => return p.syntax(),
            };
            p.pos += 1;
            Ok(Member::new(item, negated))
        })
    }

    fn hostlist(&mut self) -> Res<Vec<Member>> {
        self.list(|p| {
            let negated = p.eat(&Tok::Bang);
            let item = match p.peek() {
                Some(Tok::Alias(a)) => Item::Alias(a.clone()),
                Some(Tok::All) => Item::All,
                Some(Tok::Netgroup(n)) => Item::Netgroup(n.clone()),
                Some(Tok::NetworkAddr(a)) => Item::Network(a.clone()),
                Some(Tok::Word(w)) => Item::Name(w.clone()),
                _ => return p.syntax(),
            };
            p.pos += 1;
            Ok(Member::new(item, negated))
        })
    }

    fn grouplist(&mut self) -> Res<Vec<Member>> {
        self.list(|p| {
            let negated = p.eat(&Tok::Bang);
            let item = match p.peek() {
                Some(Tok::Alias(a)) => Item::Alias(a.clone()),
                Some(Tok::All) => Item::All,
                Some(Tok::Word(w)) => Item::Name(w.clone()),
                _ => return p.syntax(),
            };
            p.pos += 1;
            Ok(Member::new(item, negated))
        })
    }
}

/// What a command spec takes from the one before it in the same list:
/// the runas lists, options and tags it does not set itself (an implied
/// SETENV is not carried).
fn inherit(next: &mut CmndSpec, prev: &CmndSpec) {
    if next.runas_users.is_none() && next.runas_groups.is_none() {
        next.runas_users = prev.runas_users.clone();
        next.runas_groups = prev.runas_groups.clone();
    }
    let o = &mut next.options;
    let p = &prev.options;
    for (mine, theirs) in [
        (&mut o.cwd, &p.cwd),
        (&mut o.chroot, &p.chroot),
        (&mut o.notbefore, &p.notbefore),
        (&mut o.notafter, &p.notafter),
    ] {
        if mine.is_none() {
            mine.clone_from(theirs);
        }
    }
    if o.role.is_none() && o.r#type.is_none() {
        o.role.clone_from(&p.role);
        o.r#type.clone_from(&p.r#type);
    }
    if o.timeout.is_none() {
        o.timeout = p.timeout;
    }
    let t = &mut next.tags;
    let q = &prev.tags;
    for (mine, theirs) in [
        (&mut t.nopasswd, q.nopasswd),
        (&mut t.noexec, q.noexec),
        (&mut t.intercept, q.intercept),
        (&mut t.log_input, q.log_input),
        (&mut t.log_output, q.log_output),
        (&mut t.mail, q.mail),
        (&mut t.follow, q.follow),
    ] {
        if mine.is_none() {
            *mine = theirs;
        }
    }
    if t.setenv.is_none() && !q.setenv_implied {
        t.setenv = q.setenv;
    }
}

/// `ALL` implies SETENV unless its own tag says otherwise.
fn imply_setenv(spec: &mut CmndSpec) {
    if spec.tags.setenv.is_none() && spec.command.item == Item::All && !spec.command.negated {
        spec.tags.setenv = Some(true);
        spec.tags.setenv_implied = true;
    }
}

/// `parse_gentime`'s checks: `yyyymmddHH[MM[SS]]`, an optional fraction,
/// then `Z`, `+hh[mm]`, `-hh[mm]` or nothing.
fn gentime_ok(s: &str) -> bool {
    let len = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.' || *b == b',')
        .count();
    if len > "yyyymmddHHMMSS".len() {
        return false;
    }
    let (time, zone) = s.split_at(len);
    let zone_ok = match zone.as_bytes().first() {
        None => true,
        Some(b'Z') => zone.len() == 1,
        Some(b'+' | b'-') => {
            let digits = &zone[1..];
            !digits.is_empty()
                && (digits.len() == 2 || digits.len() == 4)
                && digits.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    let whole = time.split(['.', ',']).next().unwrap_or("");
    zone_ok && whole.len() >= 10 && whole.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::super::lex::tokens;
    use super::*;

    fn parse(text: &str) -> (Vec<Entry>, Vec<SyntaxError>) {
        entries(&tokens(text))
    }

    fn spec(text: &str) -> Vec<CmndSpec> {
        match parse(text).0.remove(0) {
            Entry::UserSpec { privileges, .. } => {
                privileges.into_iter().flat_map(|p| p.commands).collect()
            }
            e => panic!("not a user spec: {e:?}"),
        }
    }

    #[test]
    fn tags_carry_to_later_commands_until_changed() {
        let cs = spec("ray rushmore = NOPASSWD: /bin/kill, PASSWD: /bin/ls, /usr/bin/lprm\n");
        let np: Vec<Option<bool>> = cs.iter().map(|c| c.tags.nopasswd).collect();
        assert_eq!(np, [Some(true), Some(false), Some(false)]);
    }

    #[test]
    fn runas_carries_and_all_implies_setenv() {
        let cs = spec("dgb boulder = (operator) /bin/ls, (root) /bin/kill, /usr/bin/lprm, ALL\n");
        let runas: Vec<String> = cs
            .iter()
            .map(|c| c.runas_users.as_ref().unwrap()[0].to_string())
            .collect();
        assert_eq!(runas, ["operator", "root", "root", "root"]);
        assert_eq!(cs[3].tags.setenv, Some(true));
        assert_eq!(cs[0].tags.setenv, None);
        // Only the command's own NOSETENV overrides the implied SETENV.
        let cs = spec("a ALL = NOSETENV: /bin/ls, ALL\n");
        assert_eq!(cs[1].tags.setenv, Some(true));
        let cs = spec("a ALL = NOSETENV: ALL\n");
        assert_eq!(cs[0].tags.setenv, Some(false));
        // The implied one is not carried.
        let cs = spec("a ALL = ALL, /bin/ls\n");
        assert_eq!(cs[1].tags.setenv, None);
    }

    #[test]
    fn errors_drop_the_entry_and_keep_the_rest() {
        let (e, errs) = parse("Defaults use_pty\nalice ALL = !!!\nbob ALL = ALL\n");
        assert_eq!(e.len(), 2);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 2);
        let (_, errs) = parse("alice ALL = CWD=tmp /bin/ls\n");
        assert!(errs[0].message.contains("CWD"));
        let (_, errs) = parse("alice ALL = /usr/bin/sudoedit /etc/x\n");
        assert!(errs[0].message.contains("sudoedit"));
        let (_, errs) = parse("Defaults !use_pty=1\n");
        assert_eq!(errs[0].message, "syntax error");
        let (_, errs) = parse("alice ALL = list foo\n");
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn aliases_and_defaults() {
        let (e, errs) =
            parse("User_Alias A = x, %y : B = !z\nDefaults>root,%wheel !use_pty, env_keep-=X\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(e.len(), 3);
        match &e[2] {
            Entry::Defaults {
                binding, settings, ..
            } => {
                assert_eq!(*binding, BindingKind::Runas);
                assert_eq!(settings[0].op, Op::Negate);
                assert_eq!(settings[1].op, Op::Remove);
                assert_eq!(settings[1].value.as_deref(), Some("X"));
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn gentimes() {
        assert!(gentime_ok("2020010112Z"));
        assert!(gentime_ok("20200101120000-0500"));
        assert!(gentime_ok("20151201235900"));
        assert!(!gentime_ok("20200101Z"));
        assert!(!gentime_ok("2020010112X"));
    }
}
