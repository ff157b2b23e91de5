//! GNU `getopt_long`, as auditctl calls it on each rules line: options are
//! permuted (a stray word anywhere is skipped and left for the caller to
//! find), short options cluster (`-pwa`), a required argument is the rest
//! of the word or the next word whatever it looks like (`-k -w`), long
//! options take a unique prefix (`--loginuid`) and `=value`. The result is
//! the sequence of options getopt returns, so the caller can stop where
//! auditctl stops and still know `optind`.

/// A long option: its name, whether it takes an argument, the value
/// getopt returns for it.
pub struct LongOpt {
    pub name: &'static str,
    pub has_arg: bool,
    pub val: i32,
}

/// One result of a getopt call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    /// A known option (a short option's character, or a long option's
    /// value) and its argument.
    Opt(i32, Option<String>),
    /// `?`: unknown, ambiguous, or missing its argument.
    Bad,
}

/// getopt's state over one argument vector (`argv[0]` is the program).
pub struct Getopt<'a> {
    pub argv: Vec<String>,
    pub optind: usize,
    optstring: &'a str,
    longopts: &'a [LongOpt],
    nextchar: Option<(usize, usize)>,
    first_nonopt: usize,
    last_nonopt: usize,
}

impl<'a> Getopt<'a> {
    pub fn new(argv: Vec<String>, optstring: &'a str, longopts: &'a [LongOpt]) -> Self {
        Getopt {
            argv,
            optind: 1,
            optstring,
            longopts,
            nextchar: None,
            first_nonopt: 1,
            last_nonopt: 1,
        }
    }

    fn is_nonoption(&self, i: usize) -> bool {
        let a = self.argv[i].as_bytes();
        a.first() != Some(&b'-') || a.len() == 1
    }

    /// Moves the non-options skipped so far after the options that followed
    /// them (glibc's `exchange`).
    fn exchange(&mut self) {
        let (bottom, middle, top) = (self.first_nonopt, self.last_nonopt, self.optind);
        self.argv[bottom..top].rotate_left(middle - bottom);
        self.first_nonopt += self.optind - self.last_nonopt;
        self.last_nonopt = self.optind;
    }

    fn long_option(&mut self) -> Got {
        let argc = self.argv.len();
        let word = self.argv[self.optind][2..].to_string();
        let (name, value) = match word.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (word.clone(), None),
        };
        self.optind += 1;
        let exact = self.longopts.iter().find(|o| o.name == name);
        let found = match exact {
            Some(o) => Some(o),
            None => {
                let mut prefixed = self.longopts.iter().filter(|o| o.name.starts_with(&name));
                match (prefixed.next(), prefixed.next()) {
                    (Some(o), None) => Some(o),
                    // Every long option of auditctl returns its own value,
                    // so two prefix matches are ambiguous.
                    _ => None,
                }
            }
        };
        let Some(opt) = found else {
            return Got::Bad;
        };
        match (value, opt.has_arg) {
            (Some(v), true) => Got::Opt(opt.val, Some(v)),
            (Some(_), false) => Got::Bad,
            (None, false) => Got::Opt(opt.val, None),
            (None, true) if self.optind < argc => {
                self.optind += 1;
                Got::Opt(opt.val, Some(self.argv[self.optind - 1].clone()))
            }
            (None, true) => Got::Bad,
        }
    }
}

impl Iterator for Getopt<'_> {
    type Item = Got;

    /// The next option, or `None` at the end (then `optind` is the first
    /// non-option, or `argv.len()` when there is none).
    fn next(&mut self) -> Option<Got> {
        let argc = self.argv.len();
        if self.nextchar.is_none() {
            self.last_nonopt = self.last_nonopt.min(self.optind);
            self.first_nonopt = self.first_nonopt.min(self.optind);
            if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                self.exchange();
            } else if self.last_nonopt != self.optind {
                self.first_nonopt = self.optind;
            }
            while self.optind < argc && self.is_nonoption(self.optind) {
                self.optind += 1;
            }
            self.last_nonopt = self.optind;
            if self.optind != argc && self.argv[self.optind] == "--" {
                self.optind += 1;
                if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                    self.exchange();
                } else if self.first_nonopt == self.last_nonopt {
                    self.first_nonopt = self.optind;
                }
                self.last_nonopt = argc;
                self.optind = argc;
            }
            if self.optind == argc {
                if self.first_nonopt != self.last_nonopt {
                    self.optind = self.first_nonopt;
                }
                return None;
            }
            if self.argv[self.optind].starts_with("--") {
                return Some(self.long_option());
            }
            self.nextchar = Some((self.optind, 1));
        }
        let (word, pos) = self.nextchar?;
        let bytes = self.argv[word].as_bytes();
        let c = bytes[pos];
        let rest_empty = pos + 1 >= bytes.len();
        self.nextchar = if rest_empty {
            None
        } else {
            Some((word, pos + 1))
        };
        if rest_empty {
            self.optind += 1;
        }
        let spec = self.optstring.as_bytes();
        let Some(at) = spec.iter().position(|b| *b == c).filter(|_| c != b':') else {
            return Some(Got::Bad);
        };
        if spec.get(at + 1) != Some(&b':') {
            return Some(Got::Opt(i32::from(c), None));
        }
        let arg = if !rest_empty {
            let a = String::from_utf8_lossy(&bytes[pos + 1..]).into_owned();
            self.optind += 1;
            Some(a)
        } else if self.optind == argc {
            None
        } else {
            self.optind += 1;
            Some(self.argv[self.optind - 1].clone())
        };
        self.nextchar = None;
        Some(match arg {
            Some(a) => Got::Opt(i32::from(c), Some(a)),
            None => Got::Bad,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &[LongOpt] = &[
        LongOpt {
            name: "loginuid-immutable",
            has_arg: false,
            val: 1,
        },
        LongOpt {
            name: "backlog_wait_time",
            has_arg: true,
            val: 2,
        },
        LongOpt {
            name: "reset-lost",
            has_arg: false,
            val: 3,
        },
        LongOpt {
            name: "reset_backlog_wait_time_actual",
            has_arg: false,
            val: 4,
        },
    ];

    fn run(words: &[&str]) -> (Vec<Got>, usize, usize) {
        let mut argv = vec!["auditctl".to_string()];
        argv.extend(words.iter().map(|w| w.to_string()));
        let n = argv.len();
        let mut g = Getopt::new(argv, "hiw:k:p:", LONG);
        let mut out = Vec::new();
        out.extend(g.by_ref());
        (out, g.optind, n)
    }

    fn opt(c: char, arg: Option<&str>) -> Got {
        Got::Opt(c as i32, arg.map(str::to_string))
    }

    #[test]
    fn clusters_and_arguments() {
        let (got, optind, n) = run(&["-w/etc/passwd", "-pwa", "-k", "-w"]);
        assert_eq!(
            got,
            vec![
                opt('w', Some("/etc/passwd")),
                opt('p', Some("wa")),
                opt('k', Some("-w"))
            ]
        );
        assert_eq!(optind, n);
        let (got, _, _) = run(&["-ih"]);
        assert_eq!(got, vec![opt('i', None), opt('h', None)]);
        assert_eq!(run(&["-k"]).0, vec![Got::Bad]);
        assert_eq!(run(&["-x"]).0, vec![Got::Bad]);
    }

    #[test]
    fn non_options_are_permuted_to_the_end() {
        let (got, optind, n) = run(&["foo", "-w", "/x", "bar"]);
        assert_eq!(got, vec![opt('w', Some("/x"))]);
        assert_eq!((optind, n), (3, 5));
        let (got, optind, _) = run(&["foo"]);
        assert!(got.is_empty());
        assert_eq!(optind, 1);
        let (got, optind, n) = run(&["--"]);
        assert!(got.is_empty());
        assert_eq!(optind, n);
        let (_, optind, n) = run(&["-w", "/x", "--", "-p", "wa"]);
        assert_eq!((optind, n), (4, 6));
        let (got, optind, _) = run(&["-"]);
        assert!(got.is_empty());
        assert_eq!(optind, 1);
    }

    #[test]
    fn long_options_take_prefixes_and_values() {
        assert_eq!(run(&["--loginuid"]).0, vec![Got::Opt(1, None)]);
        assert_eq!(
            run(&["--backlog_wait_time=5"]).0,
            vec![Got::Opt(2, Some("5".into()))]
        );
        assert_eq!(
            run(&["--backlog", "60000"]).0,
            vec![Got::Opt(2, Some("60000".into()))]
        );
        assert_eq!(run(&["--re"]).0, vec![Got::Bad]);
        assert_eq!(run(&["--loginuid-immutable=1"]).0, vec![Got::Bad]);
        assert_eq!(run(&["--backlog_wait_time"]).0, vec![Got::Bad]);
        assert_eq!(run(&["--=x"]).0, vec![Got::Bad]);
    }
}
