//! The built-in baseline as a whole: its size, how its profiles nest, and
//! that the container profile holds nothing a container cannot decide.

use posture::policy::{Check, Policy, Probe, Rule};

fn baseline() -> Policy {
    posture::scan::builtin_policies()
        .unwrap()
        .into_iter()
        .find(|p| p.id == "linux-baseline")
        .expect("the built-in linux-baseline policy")
}

fn probes(check: &Check, out: &mut Vec<Probe>) {
    match check {
        Check::All(cs) | Check::Any(cs) | Check::None(cs) => {
            cs.iter().for_each(|c| probes(c, out));
        }
        Check::Not(c) => probes(c, out),
        Check::Probe(p) => out.push(p.probe.clone()),
    }
}

fn rule_probes(rule: &Rule) -> Vec<Probe> {
    let mut out = Vec::new();
    probes(&rule.check, &mut out);
    out
}

#[test]
fn baseline_is_benchmark_sized_and_referenced() {
    let p = baseline();
    let n = p.rules.len();
    assert!(
        n >= 400,
        "the baseline has {n} rules; it promises at least 400"
    );
    for rule in &p.rules {
        assert!(!rule.profiles.is_empty(), "{} is in no profile", rule.id);
        assert!(
            rule.references.contains_key("nist-800-53"),
            "{} has no NIST 800-53 reference",
            rule.id
        );
        assert!(
            !rule.rationale.is_empty() && !rule.remediation.is_empty(),
            "{} lacks a rationale or a remediation",
            rule.id
        );
    }
    let cis = p
        .rules
        .iter()
        .filter(|r| r.references.keys().any(|k| k.starts_with("cis-")))
        .count();
    // Some rules come from ANSSI or kernel hardening guides alone; most
    // still map to a CIS item.
    assert!(
        cis * 10 >= n * 6,
        "only {cis} of {n} rules cite a CIS benchmark"
    );
}

#[test]
fn profiles_nest_and_the_default_is_level1_server() {
    let p = baseline();
    assert_eq!(p.default_profile.as_deref(), Some("level1-server"));
    for (lower, upper) in [
        ("level1-server", "level2-server"),
        ("level1-workstation", "level2-workstation"),
    ] {
        for rule in &p.rules {
            if p.rule_in_profile(rule, lower) {
                assert!(
                    p.rule_in_profile(rule, upper),
                    "{} in {lower} not {upper}",
                    rule.id
                );
            }
        }
        let (l, u) = (
            p.rules
                .iter()
                .filter(|r| p.rule_in_profile(r, lower))
                .count(),
            p.rules
                .iter()
                .filter(|r| p.rule_in_profile(r, upper))
                .count(),
        );
        assert!(u > l, "{upper} ({u}) adds nothing to {lower} ({l})");
    }
}

#[test]
fn container_profile_has_no_kernel_boot_or_mount_rules() {
    let p = baseline();
    let host_only = |probe: &Probe| match probe {
        Probe::Sysctl { .. } | Probe::KernelModule { .. } | Probe::Mount { .. } => true,
        Probe::File { path, .. } | Probe::FileContent { path, .. } => {
            ["/proc/", "/sys/", "/boot/", "/etc/default/grub"]
                .iter()
                .any(|prefix| path.starts_with(prefix))
        }
        _ => false,
    };
    for rule in p.rules.iter().filter(|r| p.rule_in_profile(r, "container")) {
        let probes = rule_probes(rule);
        assert!(
            !probes.iter().any(host_only),
            "{} is in the container profile but checks the kernel, boot or mounts",
            rule.id
        );
    }
    assert!(p.rules.iter().any(|r| p.rule_in_profile(r, "container")));
}
