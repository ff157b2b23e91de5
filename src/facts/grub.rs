//! What GRUB does to a kernel command line between its configuration and
//! the kernel: the pieces [`crate::facts::cmdline`] needs.
//!
//! - grub-mkconfig's 10_linux pastes `GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT`
//!   verbatim after `linux PATH root=DEVICE ro` in grub.cfg (and
//!   `single|recovery GRUB_CMDLINE_LINUX` for recovery entries); the blscfg
//!   command does the same with the `options` of a Boot Loader
//!   Specification entry, after replacing `$NAME` with GRUB environment
//!   variables. At boot, GRUB's script lexer (grub-core/script/yylex.l)
//!   splits that text into arguments: [`script_args`].
//! - The `linux` command joins the arguments into the kernel's command line
//!   with `grub_create_loader_cmdline` (grub-core/lib/cmdline.c): an
//!   argument holding a space is put in double quotes, and `\`, `'` and `"`
//!   get a backslash: [`loader_cmdline`].
//! - grubenv (grub-core/lib/envblk.c) holds saved variables: [`parse_env`].
//!
//! Only what GRUB does the same way in every version is followed; the rest
//! (a GRUB variable the configuration does not define, `{`, `;`, `|`, `&`,
//! `<`, `>`, a newline, a wildcard, a backslash left in an argument, whose
//! handling changed between versions) is refused with the reason, so the
//! command line becomes unknown rather than guessed.

use super::shell::{Origin, Traced};

/// Words GRUB's lexer returns as reserved words even among arguments.
const RESERVED: &[&str] = &[
    "[[", "]]", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "select",
    "then", "until", "while", "function",
];

/// The arguments GRUB's script lexer makes of `text` (the part of a `linux`
/// line after the kernel's path). A GRUB variable (`$NAME`) is refused:
/// its value is set when GRUB runs.
pub fn script_args(text: &Traced) -> Result<Vec<Traced>, String> {
    let s = &text.bytes;
    let o = &text.origins;
    let mut args: Vec<Traced> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b' ' | b'\t' => {
                i += 1;
                continue;
            }
            // A comment runs to the end of the line, which is the end of
            // the text.
            b'#' => break,
            _ => {}
        }
        let mut arg = Traced::default();
        let mut raw_word = Vec::new();
        // Whether the argument so far came from unquoted text only.
        let mut all_unquoted = true;
        while i < s.len() && !matches!(s[i], b' ' | b'\t') {
            let b = s[i];
            match b {
                b'\n' => return Err("a newline ends GRUB's `linux` command".into()),
                b'{' | b'}' | b'|' | b'&' | b';' | b'<' | b'>' => {
                    return Err(format!(
                        "`{}` is special to GRUB's script syntax",
                        b as char
                    ))
                }
                b'*' | b'?' | b'[' => {
                    return Err(format!(
                        "`{}` may be expanded as a wildcard by GRUB",
                        b as char
                    ))
                }
                b'\\' => {
                    // ESC: the backslash is dropped, the byte kept.
                    match s.get(i + 1) {
                        Some(b'\n') | None => {
                            return Err("a backslash at the end of GRUB's `linux` line".into())
                        }
                        Some(&next) => {
                            arg.push(next, o[i + 1]);
                            all_unquoted = false;
                            i += 2;
                        }
                    }
                }
                b'\'' => {
                    all_unquoted = false;
                    let Some(end) = s[i + 1..].iter().position(|&c| c == b'\'') else {
                        return Err("a single quote is not closed in GRUB's `linux` line".into());
                    };
                    for k in i + 1..i + 1 + end {
                        if s[k] == b'\n' {
                            return Err("a newline ends GRUB's `linux` command".into());
                        }
                        arg.push(s[k], o[k]);
                    }
                    i += end + 2;
                }
                b'"' => {
                    all_unquoted = false;
                    i += 1;
                    loop {
                        match s.get(i) {
                            None => {
                                return Err(
                                    "a double quote is not closed in GRUB's `linux` line".into()
                                )
                            }
                            Some(b'"') => {
                                i += 1;
                                break;
                            }
                            Some(b'\n') => {
                                return Err("a newline ends GRUB's `linux` command".into())
                            }
                            Some(b'\\') => match s.get(i + 1) {
                                Some(&next @ (b'$' | b'\\' | b'"')) => {
                                    arg.push(next, o[i + 1]);
                                    i += 2;
                                }
                                _ => {
                                    arg.push(b'\\', o[i]);
                                    i += 1;
                                }
                            },
                            Some(b'$') => {
                                return Err("a `$` in GRUB's `linux` line is a GRUB variable, set when GRUB runs".into())
                            }
                            Some(&c) => {
                                arg.push(c, o[i]);
                                i += 1;
                            }
                        }
                    }
                }
                b'$' => {
                    return Err(
                        "a `$` in GRUB's `linux` line is a GRUB variable, set when GRUB runs"
                            .into(),
                    )
                }
                _ => {
                    arg.push(b, o[i]);
                    raw_word.push(b);
                    i += 1;
                }
            }
        }
        if all_unquoted {
            if let Ok(word) = std::str::from_utf8(&raw_word) {
                if RESERVED.contains(&word) {
                    return Err(format!(
                        "`{word}` is a reserved word of GRUB's script syntax"
                    ));
                }
            }
        }
        // A word of only empty quotes gives no argument once expanded
        // (grub_script_arglist_to_argv skips empty text).
        if !arg.is_empty() {
            args.push(arg);
        }
    }
    for arg in &args {
        if arg.bytes.contains(&b'\\') {
            return Err("a backslash in an argument; GRUB versions escape it differently".into());
        }
    }
    Ok(args)
}

/// The `options` of a BLS entry with GRUB environment variables replaced
/// as the blscfg command does before GRUB parses the line: `$NAME` (letters,
/// digits, `_`) becomes the variable's value followed by a space, and the
/// space after the name is dropped. `lookup` gives a variable's value when
/// the configuration defines it.
pub fn expand_bls_variables(
    text: &Traced,
    lookup: &dyn Fn(&str) -> Option<Traced>,
) -> Result<Traced, String> {
    let s = &text.bytes;
    let mut out = Traced::default();
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'$' {
            out.push(s[i], text.origins[i]);
            i += 1;
            continue;
        }
        let len = s[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let name = String::from_utf8_lossy(&s[i + 1..i + 1 + len]).into_owned();
        if name.is_empty() {
            return Err("a `$` blscfg reads as a variable it cannot name".into());
        }
        let Some(value) = lookup(&name) else {
            return Err(format!(
                "${name} is a GRUB variable this configuration does not define"
            ));
        };
        out.extend(&value);
        out.push(b' ', text.origins[i]);
        i += 1 + len;
        if s.get(i) == Some(&b' ') {
            i += 1;
        }
        // blscfg drops a lone last character after a variable.
        if s.len() - i == 1 {
            return Err(
                "one character after a GRUB variable, which blscfg versions treat differently"
                    .into(),
            );
        }
    }
    Ok(out)
}

/// The kernel command line GRUB's `linux` command makes of `args`
/// (`grub_create_loader_cmdline`), without the leading `BOOT_IMAGE=`.
pub fn loader_cmdline(args: &[Traced]) -> Traced {
    let mut out = Traced::default();
    for (n, arg) in args.iter().enumerate() {
        let first = arg
            .origins
            .first()
            .copied()
            .unwrap_or(Origin { file: 0, line: 0 });
        if n > 0 {
            out.push(b' ', first);
        }
        let space = arg.bytes.contains(&b' ');
        if space {
            out.push(b'"', first);
        }
        for (b, o) in arg.bytes.iter().zip(&arg.origins) {
            if matches!(b, b'\\' | b'\'' | b'"') {
                out.push(b'\\', *o);
            }
            out.push(*b, *o);
        }
        if space {
            let last = arg.origins.last().copied().unwrap_or(first);
            out.push(b'"', last);
        }
    }
    out
}

/// The variables of a grubenv file (`name=value` lines after a comment
/// header, padded with `#`), with the 1-based line of each.
/// `grub_envblk_set` writes a backslash before `\` and newline in values.
pub fn parse_env(text: &str) -> Vec<(String, String, u32)> {
    let s = text.as_bytes();
    let mut out = Vec::new();
    let mut line = 1u32;
    let mut i = 0;
    while i < s.len() {
        let start_line = line;
        let mut entry = Vec::new();
        while i < s.len() && s[i] != b'\n' {
            if s[i] == b'\\' && i + 1 < s.len() {
                if s[i + 1] == b'\n' {
                    line += 1;
                }
                entry.push(s[i + 1]);
                i += 2;
            } else {
                entry.push(s[i]);
                i += 1;
            }
        }
        i += 1;
        line += 1;
        if entry.first().is_none_or(|b| *b == b'#') {
            continue;
        }
        if let Some(eq) = entry.iter().position(|b| *b == b'=') {
            let name = String::from_utf8_lossy(&entry[..eq]).into_owned();
            let value = String::from_utf8_lossy(&entry[eq + 1..]).into_owned();
            out.push((name, value, start_line));
        }
    }
    out
}

/// The `options` of a Boot Loader Specification entry: every `options`
/// line's value, joined by spaces as the specification says, with the line
/// of each byte.
pub fn bls_options(text: &str, file: u16) -> Option<Traced> {
    let mut out: Option<Traced> = None;
    for (lineno, line) in crate::facts::lines(text) {
        let line = line.trim_start_matches([' ', '\t']);
        let Some(rest) = line.strip_prefix("options") else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
            continue;
        }
        let value = rest.trim_matches([' ', '\t']);
        let origin = Origin { file, line: lineno };
        let all = out.get_or_insert_with(Traced::default);
        if !all.is_empty() {
            all.push(b' ', origin);
        }
        all.push_str(value, origin);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Traced {
        Traced::new(s, Origin { file: 0, line: 1 })
    }

    fn args(s: &str) -> Result<Vec<String>, String> {
        script_args(&t(s)).map(|a| a.iter().map(Traced::text).collect())
    }

    #[test]
    fn grub_splits_on_blanks_and_removes_quotes() {
        assert_eq!(
            args("  quiet  pti=on\tx").unwrap(),
            ["quiet", "pti=on", "x"]
        );
        assert_eq!(
            args("a='b c' \"d=e f\" g\\ h").unwrap(),
            ["a=b c", "d=e f", "g h"]
        );
        assert_eq!(args("a=\"\\$x\\\"\"").unwrap(), ["a=$x\""]);
        assert_eq!(args("'' \"\" x").unwrap(), ["x"]);
        // a comment starts only a word
        assert_eq!(args("a#b #c d").unwrap(), ["a#b"]);
    }

    #[test]
    fn grub_constructs_not_followed_are_refused() {
        for s in [
            "a $x",
            "a;b",
            "a | b",
            "{",
            "a*",
            "x\ny",
            "'open",
            "\"open",
            "if",
            "a\\\\b",
            "\"a\\qb\"",
        ] {
            assert!(args(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn bls_variables_resolve_when_the_configuration_defines_them() {
        let vars = |name: &str| (name == "tuned_params").then(|| t("skew_tick=1 nohz=on"));
        let got = expand_bls_variables(&t("ro $tuned_params quiet"), &vars).unwrap();
        assert_eq!(got.text(), "ro skew_tick=1 nohz=on quiet");
        let got = expand_bls_variables(&t("ro $tuned_params"), &vars).unwrap();
        assert_eq!(got.text(), "ro skew_tick=1 nohz=on ");
        assert!(expand_bls_variables(&t("$other"), &vars).is_err());
        assert!(expand_bls_variables(&t("$tuned_params x"), &vars).is_err());
    }

    #[test]
    fn the_loader_quotes_arguments_with_spaces_and_escapes_quotes() {
        let out = loader_cmdline(&[t("a=b c"), t("d"), t("e\"f")]);
        assert_eq!(out.text(), "\"a=b c\" d e\\\"f");
    }

    #[test]
    fn grubenv_variables() {
        let env = "# GRUB Environment Block\nsaved_entry=x\nkernelopts=root=/dev/sda1 ro a\\\\b\n##########";
        let vars = parse_env(env);
        assert_eq!(vars[0], ("saved_entry".into(), "x".into(), 2));
        assert_eq!(
            vars[1],
            ("kernelopts".into(), "root=/dev/sda1 ro a\\b".into(), 3)
        );
        assert_eq!(vars.len(), 2);
    }

    #[test]
    fn bls_options_lines_are_joined() {
        let entry =
            "title RHEL\nlinux /vmlinuz\noptions root=/dev/x ro\noptionsx no\n  options\taudit=1\n";
        let o = bls_options(entry, 0).unwrap();
        assert_eq!(o.text(), "root=/dev/x ro audit=1");
        assert_eq!(o.origins.last().unwrap().line, 5);
        assert!(bls_options("title x\n", 0).is_none());
    }
}
