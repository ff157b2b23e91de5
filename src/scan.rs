//! A scan from start to end: select rules, evaluate them, build the report.

use crate::engine;
use crate::facts::{fact_ref, Facts};
use crate::policy::{self, LoadError, Policy, Rule, ALL_PROFILES};
use crate::report::{self, OsSummary, PolicyInfo, Report, Scan, Selection, TargetInfo, Tool};
use crate::target::{Target, TargetKind};
use std::time::{Instant, SystemTime};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// The policies embedded from `rules/` at build time: each file directly in
/// `rules/` is a policy, and so is each directory `rules/NAME/`.
pub fn builtin_policies() -> Result<Vec<Policy>, LoadError> {
    let mut out = Vec::new();
    let mut diagnostics = Vec::new();
    let mut dirs: std::collections::BTreeMap<&str, Vec<(String, String)>> = Default::default();
    for (file, text) in builtin::BUILTIN_POLICY_FILES {
        let name = format!("builtin:{file}");
        match file
            .strip_prefix("rules/")
            .and_then(|rest| rest.split_once('/'))
        {
            Some((dir, _)) => dirs.entry(dir).or_default().push((name, text.to_string())),
            None => match policy::load_str(text, &name) {
                Ok(p) => out.push(p),
                Err(e) => diagnostics.extend(e.diagnostics),
            },
        }
    }
    for (dir, files) in dirs {
        match policy::load_files(&format!("builtin:rules/{dir}"), &files) {
            Ok(p) => out.push(p),
            Err(e) => diagnostics.extend(e.diagnostics),
        }
    }
    diagnostics.extend(policy::check_together(&out));
    if diagnostics.is_empty() {
        Ok(out)
    } else {
        Err(LoadError { diagnostics })
    }
}

/// The `check` and `applies_if` of `rule` as written in its policy file:
/// the embedded text for a built-in rule, else the file read again (empty
/// when it cannot be read any more).
pub fn rule_text(rule: &Rule) -> policy::source::RuleText {
    let mut out = policy::source::RuleText {
        location: rule.location.clone(),
        ..Default::default()
    };
    let Some((file, line)) = rule
        .location
        .rsplit_once(':')
        .and_then(|(f, l)| Some((f, l.parse::<u32>().ok()?)))
    else {
        return out;
    };
    let text = match file.strip_prefix("builtin:") {
        Some(name) => builtin::BUILTIN_POLICY_FILES
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, t)| t.to_string()),
        // A policy file was at most 8 MiB when it loaded.
        None => std::fs::File::open(file).ok().and_then(|f| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::Read::take(f, 8 << 20), &mut text)
                .ok()
                .map(|_| text)
        }),
    };
    if let Some(text) = text {
        (out.applies_if, out.check) = policy::source::extract(&text, line);
    }
    out
}

/// The error for a rule id that no policy holds: "did you mean" the
/// nearest ids (a typo, or the same words in another order), else where to
/// look.
pub fn unknown_rule<'a>(id: &str, known: impl Iterator<Item = &'a str>) -> String {
    let words = |s: &str| {
        let mut w: Vec<String> = s.split(['-', '_']).map(str::to_lowercase).collect();
        w.sort();
        w
    };
    let wanted = words(id);
    // A slip of a few characters in a long id is still a typo.
    let max = (id.chars().count() / 5).max(2);
    let mut near: Vec<(usize, &str)> = known
        .filter_map(|k| {
            let d = crate::policy::edit_distance(id, k);
            if d <= max {
                Some((d, k))
            } else if words(k) == wanted {
                Some((1, k))
            } else {
                None
            }
        })
        .collect();
    near.sort();
    near.dedup_by(|a, b| a.1 == b.1);
    match near.as_slice() {
        [] => format!("unknown rule id `{id}`; `posture rules list` shows the rules"),
        [(_, one)] => format!("unknown rule id `{id}`; did you mean `{one}`?"),
        more => format!(
            "unknown rule id `{id}`; did you mean {}?",
            more.iter()
                .take(3)
                .map(|(_, k)| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

/// Which rules to evaluate.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    pub profile: Option<String>,
    /// Only these rule ids (all when empty).
    pub rules: Vec<String>,
    pub skip_rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// The id, and the message naming the nearest known ids.
    #[error("{1}")]
    UnknownRule(String, String),
    #[error("unknown profile `{0}`; known profiles: {1}")]
    UnknownProfile(String, String),
    /// A scan of nothing would pass whatever the host is like.
    #[error("no rule selected: {0}; nothing would be checked")]
    NoRules(String),
}

impl Selector {
    /// The selected rules, in policy order, with their policy.
    pub fn select<'p>(
        &self,
        policies: &'p [Policy],
    ) -> Result<Vec<(&'p Policy, &'p Rule)>, SelectError> {
        let all: Vec<(&Policy, &Rule)> = policies
            .iter()
            .flat_map(|p| p.rules.iter().map(move |r| (p, r)))
            .collect();
        for id in self.rules.iter().chain(&self.skip_rules) {
            if !all.iter().any(|(_, r)| &r.id == id) {
                let ids = all.iter().map(|(_, r)| r.id.as_str());
                return Err(SelectError::UnknownRule(id.clone(), unknown_rule(id, ids)));
            }
        }
        if let Some(profile) = self.profile.as_deref().filter(|p| *p != ALL_PROFILES) {
            let known = policy::all_profiles(policies);
            if !known.contains(profile) {
                let list = known.into_iter().collect::<Vec<_>>().join(", ");
                return Err(SelectError::UnknownProfile(
                    profile.to_string(),
                    if list.is_empty() { "none".into() } else { list },
                ));
            }
        }
        let total = all.len();
        let chosen: Vec<_> = all
            .into_iter()
            .filter(|(_, r)| self.rules.is_empty() || self.rules.contains(&r.id))
            .filter(|(_, r)| !self.skip_rules.contains(&r.id))
            .collect();
        let unskipped = chosen.len();
        let selected: Vec<_> = chosen
            .into_iter()
            .filter(|(p, r)| match self.profile_for(p) {
                Some(profile) => p.rule_in_profile(r, profile),
                None => true,
            })
            .collect();
        if selected.is_empty() {
            return Err(SelectError::NoRules(if total == 0 {
                "the policies hold no rules".to_string()
            } else if unskipped == 0 {
                "--skip-rule leaves none of the rules chosen".to_string()
            } else {
                let profile = match self.profile.as_deref() {
                    Some(p) => format!("profile `{p}`"),
                    None => "the default profile".to_string(),
                };
                format!("{profile} holds none of the {unskipped} rule(s) chosen")
            }));
        }
        Ok(selected)
    }

    /// The profile that selects `policy`'s rules: the chosen one, else the
    /// policy's default; `None` means every rule.
    pub fn profile_for<'a>(&'a self, policy: &'a Policy) -> Option<&'a str> {
        match self.profile.as_deref() {
            Some(ALL_PROFILES) => None,
            Some(p) => Some(p),
            // Rules named one by one run whatever the default profile holds.
            None if !self.rules.is_empty() => None,
            None => policy.default_profile.as_deref(),
        }
    }
}

/// The profile a report names: the chosen one, else the default the
/// policies' rules were selected by (none when that differs by policy or
/// no default applied).
fn effective_profile(selector: &Selector, policies: &[Policy]) -> Option<String> {
    if selector.profile.is_some() {
        return selector.profile.clone();
    }
    let applied: std::collections::BTreeSet<_> =
        policies.iter().map(|p| selector.profile_for(p)).collect();
    match applied.into_iter().collect::<Vec<_>>()[..] {
        [Some(p)] => Some(p.to_string()),
        _ => None,
    }
}

/// Scans `target` with the selected rules of `policies`.
pub fn run<'t>(
    target: &'t Target,
    policies: &[Policy],
    selector: &Selector,
) -> Result<(Report, Facts<'t>), SelectError> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let selected = selector.select(policies)?;
    let rules: Vec<&Rule> = selected.iter().map(|(_, r)| *r).collect();
    let interests = engine::walk_interests(&rules);
    let walks = !interests.is_empty();
    let facts = Facts::new(target).with_walk_interests(interests);
    let results = if walks {
        // The walk and the rules that do not read it share the thread pool;
        // the rules that read it run once it is done. A rule worker that
        // computed the walk itself would leave it only the threads not
        // blocked waiting for it.
        let (walking, other): (Vec<usize>, Vec<usize>) =
            (0..rules.len()).partition(|&i| !engine::walk_interests(&rules[i..=i]).is_empty());
        let pick = |idx: &[usize]| idx.iter().map(|&i| rules[i]).collect::<Vec<_>>();
        let (other_rules, walking_rules) = (pick(&other), pick(&walking));
        let ((), other_results) = rayon::join(
            || {
                let _ = facts.walk();
            },
            || engine::evaluate(&other_rules, &facts),
        );
        let walking_results = engine::evaluate(&walking_rules, &facts);
        let mut indexed: Vec<_> = other
            .into_iter()
            .zip(other_results)
            .chain(walking.into_iter().zip(walking_results))
            .collect();
        indexed.sort_by_key(|(i, _)| *i);
        indexed.into_iter().map(|(_, r)| r).collect()
    } else {
        engine::evaluate(&rules, &facts)
    };
    let results: Vec<_> = selected
        .iter()
        .zip(results)
        .map(|((p, r), res)| report::rule_report(p, r, res))
        .collect();
    let summary = report::summarize(&results);
    let target_info = target_info(&facts);
    let duration = clock.elapsed();
    let report = Report {
        schema_version: report::SCHEMA_VERSION.to_string(),
        tool: Tool {
            name: "posture".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        scan: Scan {
            id: scan_id(),
            started_at: rfc3339(started),
            finished_at: rfc3339(started + duration),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        },
        target: target_info,
        policies: policies
            .iter()
            .map(|p| PolicyInfo {
                id: p.id.clone(),
                title: p.title.clone(),
                version: p.version.clone(),
                file: p.file.clone(),
                digest: p.digest.clone(),
                rules: p.rules.len(),
            })
            .collect(),
        selection: Selection {
            profile: effective_profile(selector, policies),
            rules: selector.rules.clone(),
            skipped_rules: selector.skip_rules.clone(),
        },
        summary,
        results,
        diagnostics: facts.diagnostics(),
        waivers: Vec::new(),
        verdict: None,
    };
    Ok((report, facts))
}

fn target_info(facts: &Facts) -> TargetInfo {
    let target = facts.target();
    let os = fact_ref(facts.os()).ok();
    let system = fact_ref(facts.system()).ok();
    TargetInfo {
        kind: match target.kind() {
            TargetKind::Live => "live".into(),
            TargetKind::Root => "root".into(),
        },
        root: (target.kind() == TargetKind::Root).then(|| target.root_dir().display().to_string()),
        hostname: system.and_then(|s| s.hostname.clone()),
        tags: Vec::new(),
        os: OsSummary {
            id: os.map_or_else(|| "unknown".into(), |o| o.id.clone()),
            family: os.map_or_else(|| "unknown".into(), |o| o.family.clone()),
            version_id: os.and_then(|o| o.version_id.clone()),
            pretty_name: os.and_then(|o| o.pretty_name.clone()),
            kernel: system.and_then(|s| s.kernel_release.clone()),
            arch: system.and_then(|s| s.arch.clone()),
        },
    }
}

/// A random version-4 UUID. The standard library's hasher keys are seeded
/// from the OS's random source, which is all a scan id needs.
fn scan_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let word = || {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.finish()
    };
    let (a, b) = (word(), word());
    let bytes: Vec<u8> = a.to_be_bytes().into_iter().chain(b.to_be_bytes()).collect();
    let mut b16 = [0u8; 16];
    b16.copy_from_slice(&bytes);
    b16[6] = (b16[6] & 0x0f) | 0x40;
    b16[8] = (b16[8] & 0x3f) | 0x80;
    let hex: String = b16.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a time since the epoch.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_426_245_123);
        assert_eq!(rfc3339(t), "2026-11-23T09:30:45.123Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn unknown_rule_ids_get_the_nearest_known_ones() {
        let known = [
            "ssh-root-login-disabled",
            "ssh-root-login-enabled-never",
            "sysctl-ip-forward",
            "login-root-disabled",
        ];
        let msg = |id| unknown_rule(id, known.iter().copied());
        assert_eq!(
            msg("ssh-root-login-disable"),
            "unknown rule id `ssh-root-login-disable`; did you mean `ssh-root-login-disabled`?"
        );
        assert_eq!(
            msg("disabled-login-root"),
            "unknown rule id `disabled-login-root`; did you mean `login-root-disabled`?"
        );
        assert_eq!(
            msg("nope"),
            "unknown rule id `nope`; `posture rules list` shows the rules"
        );
        assert!(msg("sysctl-ipforward").contains("`sysctl-ip-forward`"));
    }

    #[test]
    fn scan_ids_are_uuid_v4() {
        let a = scan_id();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, scan_id());
    }
}
