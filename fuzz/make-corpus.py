#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/NAME/) from the
repository's fixtures, docs and rules. Run from anywhere; rewrites the
seeds it makes (named by content hash) and leaves other files alone.
Each seed is at most MAX_SEED bytes and each target gets at most
MAX_SEEDS, so the committed corpus stays small (about half a MiB).
Needs PyYAML."""

import glob
import gzip
import hashlib
import json
import os
import re
import struct
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MAX_SEED = 4096
MAX_SEEDS = 60
# The parsers target: seeds per parser.
MAX_PER_PARSER = 8

corpus = {}
groups = {}


def add(target, data, group=None):
    if isinstance(data, str):
        data = data.encode()
    if 0 < len(data) <= MAX_SEED:
        seeds = corpus.setdefault(target, {})
        if group is not None:
            if groups.get((target, group), 0) >= MAX_PER_PARSER:
                return
            groups[(target, group)] = groups.get((target, group), 0) + 1
        elif len(seeds) >= MAX_SEEDS:
            return
        seeds[hashlib.sha1(data).hexdigest()[:16]] = data


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def spec_files(spec):
    """(path, content, mode) of a fixture spec's files, and its links."""
    files, links, dirs = [], [], []
    for path, f in (spec.get("files") or {}).items():
        if isinstance(f, dict):
            files.append((path, f.get("content", ""), f.get("mode")))
        else:
            files.append((path, f if f is not None else "", None))
    for path, text in (spec.get("append") or {}).items():
        files.append((path, text, None))
    for path, to in (spec.get("symlinks") or {}).items():
        links.append((path, to))
    for path, d in (spec.get("dirs") or {}).items():
        dirs.append((path, (d or {}).get("mode")))
    return files, links, dirs


def file_set(files, links=(), dirs=()):
    out = []
    for path, mode in dirs:
        out.append(f"@@ d {path}" + (f" #{mode}" if mode else "") + "\n")
    for path, content, mode in files:
        out.append(f"@@ f {path}" + (f" #{mode}" if mode else "") + "\n" + str(content))
        if out[-1] and not out[-1].endswith("\n"):
            out[-1] += "\n"
    for path, to in links:
        out.append(f"@@ l {path} -> {to}\n")
    return "".join(out)


def cases(fixture):
    """Every pass/fail case of a rules fixture file."""
    for rule, both in (fixture or {}).items():
        for kind in ("pass", "fail"):
            c = (both or {}).get(kind)
            for case in c if isinstance(c, list) else [c] if c else []:
                if isinstance(case, dict):
                    yield case


# Which parser of the `parsers` target reads a path.
SELECTORS = [
    (r"/etc/(passwd|shadow|group|gshadow)$", "a"),
    (r"(pwquality\.conf|journald\.conf|\.conf\.d/.*|rsyslog\.conf|chrony\.conf)$", "k"),
    (r"login\.defs$", "l"),
    (r"sysctl", "s"),
    (r"modprobe", "m"),
    (r"(fstab|/proc/mounts|/proc/self/mounts)$", "f"),
    (r"\.(service|socket|timer|mount|target|preset)$", "u"),
    (r"(dpkg/status|apk/db/installed)$", "d"),
    (r"audit.*\.rules$", "A"),
    (r"default/grub", "g"),
    (r"/proc/cmdline$", "c"),
    (r"os-release$", "o"),
    (r"/proc/net/", "n"),
    (r"(grubenv|loader/entries/)", "b"),
]


def parser_seed(path, content):
    for pattern, sel in SELECTORS:
        if re.search(pattern, path):
            add("parsers", sel + str(content), sel)
            return


def main():
    base = [yaml.safe_load(read(p)) for p in sorted(glob.glob(os.path.join(REPO, "tests/fixtures/base/*.yaml")))]
    rule_fixtures = {
        os.path.basename(p): yaml.safe_load(read(p))
        for p in sorted(glob.glob(os.path.join(REPO, "tests/fixtures/rules/*.yaml")))
    }
    all_cases = [c for f in rule_fixtures.values() for c in cases(f)]
    debian = {
        os.path.basename(p): yaml.safe_load(read(p))
        for p in sorted(glob.glob(os.path.join(REPO, "tests/fixtures/debian-cases/*.yaml")))
    }

    # parsers: every fixture file a parser reads, then the real-looking
    # files of the docs' Debian tree.
    for spec in base + all_cases:
        for path, content, _ in spec_files(spec)[0]:
            parser_seed(path, content)
    for p in sorted(glob.glob(os.path.join(REPO, "tests/fixtures/docs/debian-host/**"), recursive=True)):
        if os.path.isfile(p):
            with open(p, encoding="utf-8", errors="replace") as f:
                parser_seed(p, f.read())
    add("parsers", "M" + "User alice,!bob Address 10.0.0.0/8,!10.1.2.3\nalice\nwheel,sftp\nhost.example.com\n10.9.8.7\n192.168.0.1\n22\nvrf1\n", "M")
    add("parsers", "MAll\n", "M")
    add("parsers", "MGroup adm LocalPort 2222 RDomain %D Host *.example.com\nroot\nadm\n", "M")
    add("parsers", "c" + "BOOT_IMAGE=/vmlinuz-6.1 root=UUID=abc ro quiet audit=1 audit_backlog_limit=8192 \"a=b c\" -- single\n", "c")
    add("parsers", "n" + "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n", "n")
    add("parsers", "b" + "# GRUB Environment Block\nkernelopts=root=/dev/vda1 ro audit=1\nsaved_entry=x\n", "b")
    add("parsers", "b" + "title Fedora\nversion 6.5\nlinux /vmlinuz\noptions $kernelopts audit=1 selinux=1\n", "b")
    for p in ("tests/fixtures/cli/profiles.yaml", "tests/fixtures/reports/waivers.yaml", "tests/fixtures/hostile/policy.yaml"):
        add("parsers", "y" + read(p), "y")

    # sshd and sudoers: the file sets of the base and of each case.
    def tree_files(specs, prefix):
        files = {}
        for s in specs:
            for path, f in (s.get("files") or {}).items():
                if path.startswith(prefix) and "key" not in path:
                    files[path] = str(f.get("content", "") if isinstance(f, dict) else f or "")
            for path, text in (s.get("append") or {}).items():
                if path.startswith(prefix):
                    files[path] = files.get(path, "") + str(text)
            for path in s.get("remove") or []:
                files.pop(path, None)
        return files

    def main_first(files, main):
        text = files.pop(main, None)
        if text is None:
            return None
        return file_set([(main, text, None)] + [(p, c, None) for p, c in sorted(files.items())])

    def ssh_set(specs):
        return main_first(tree_files(specs, "/etc/ssh/"), "/etc/ssh/sshd_config")

    def sudo_set(specs):
        return main_first(tree_files(specs, "/etc/sudoers"), "/etc/sudoers")

    for make, target in ((ssh_set, "sshd"), (sudo_set, "sudoers")):
        seed = make(base)
        if seed:
            add(target, seed)
        for case in all_cases:
            s = make(base + [case])
            if s:
                add(target, s)
    # Held-out cases on a Debian tree: its /etc/sudoers, then the case.
    debian_sudoers = {"files": {"/etc/sudoers": "Defaults\tenv_reset\nDefaults\tuse_pty\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n"}}
    for case in debian.get("sudo.yaml") or []:
        s = sudo_set([debian_sudoers, case])
        if s:
            add("sudoers", s)
    for case in debian.get("services-ssh.yaml") or []:
        s = ssh_set(base + [case])
        if s:
            add("sshd", s)
    add("sshd", "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n@@ f /etc/ssh/sshd_config.d/10.conf\nMatch User a\n  Include /etc/ssh/m/*\n@@ f /etc/ssh/m/1\nPermitRootLogin yes\nMatch all\n@@ u /etc/ssh/sshd_config.d/20.conf\n")
    add("sshd", "Include sshd_config.d/*.conf ../x\nCiphers -aes128-ctr\n@@ f /etc/ssh/sshd_config.d/a.conf\nCiphers ^chacha20-poly1305@openssh.com\nKexAlgorithms +diffie-hellman-group1-sha1\n")
    add("sudoers", "Defaults use_pty\n@includedir /etc/sudoers.d\n#include /etc/sudoers.%h\n@@ f /etc/sudoers.d/a\nalice ALL=(ALL) NOPASSWD: ALL\n@@ f /etc/sudoers.web01\nDefaults:alice !use_pty\n@@ f /etc/sudoers.d/insecure\nbob ALL=ALL\n@@ f /etc/sudoers.d/x~\nignored\n")

    # policy: the docs' complete policies and checks, and each built-in
    # rule as a one-rule policy.
    head = 'policy:\n  id: fuzz\n  title: Fuzz\n  version: "1"\nrules:\n'
    for doc in sorted(glob.glob(os.path.join(REPO, "docs/*.md"))):
        text = read(doc)
        for info, body in re.findall(r"```yaml([^\n]*)\n(.*?)```", text, re.S):
            info = info.strip()
            if info.startswith("policy") or info.startswith("invalid"):
                add("policy", body)
            elif info.startswith("check"):
                indented = "".join("      " + line + "\n" for line in body.splitlines())
                add("policy", head + "  - id: r\n    title: t\n    severity: low\n    check:\n" + indented)
            elif os.path.basename(doc) == "waivers.md" or "waivers:" in body:
                add("waivers", body)
    for p in sorted(glob.glob(os.path.join(REPO, "rules/linux-baseline/*.yaml"))):
        doc = yaml.safe_load(read(p))
        for rule in (doc or {}).get("rules", [])[:3]:
            add("policy", head + yaml.safe_dump([rule], sort_keys=False, width=1000).replace("\n", "\n  ").rstrip() + "\n")
    for p in ("tests/fixtures/cli/policy.yaml", "tests/fixtures/cli/profiles.yaml", "tests/fixtures/cli/bad-policy.yaml", "tests/fixtures/hostile/policy.yaml"):
        add("policy", read(p))
    add("policy", "@@ f policy.yaml\n" + head.split("rules:")[0] + "@@ f a.yaml\nrules:\n  - id: a\n    title: A\n    severity: low\n    check: {fact: os.id, equals: debian}\n")

    # waivers
    add("waivers", read("tests/fixtures/reports/waivers.yaml"))
    add("waivers", read("tests/fixtures/reports/bad-waivers.yaml"))
    add("waivers", "waivers:\n  - rule: '*'\n    justification: all\n    approver: x\n  - rule: ssh-[a-z]*\n    justification: j\n    approver: a\n    expires: 2020-01-01\n    scope: {hostnames: ['web*', '{a,b}'], tags: [prod]}\n")

    # report and fleet: the sample report cut down to a few results.
    sample = json.loads(read("tests/fixtures/reports/sample.json"))
    small = dict(sample)
    small["results"] = sample["results"][:3]
    small["diagnostics"] = sample.get("diagnostics", [])[:2]
    for r in small["results"]:
        r.pop("description", None)
        r.pop("remediation", None)
        r.pop("rationale", None)
    text = json.dumps(small, indent=1)
    while len(text) > MAX_SEED and small["results"]:
        small["results"].pop()
        text = json.dumps(small, indent=1)
    add("report", text)
    add("report", json.dumps(small, separators=(",", ":")))
    lone = dict(small, results=small["results"][:1], summary=dict(small["summary"], score=0.0))
    add("report", json.dumps(lone))
    add("fleet", json.dumps(small, separators=(",", ":")))
    add("fleet", json.dumps(dict(lone, schema_version="1.0.0"), separators=(",", ":")))
    add("fleet", gzip.compress(json.dumps(small, separators=(",", ":")).encode(), mtime=0))
    add("fleet", json.dumps(dict(small, target=dict(small["target"], hostname=None, root="/srv/img"))))

    # rpm: headers written as rpm writes them, and a database of several.
    def header(fields):
        index, store = b"", b""
        for tag, kind, value in fields:
            if kind == 4:
                while len(store) % 4:
                    store += b"\0"
                off = len(store)
                store += struct.pack(">I", value)
            else:
                off = len(store)
                store += value.encode() + b"\0"
            index += struct.pack(">IIII", tag, kind, off, 1)
        return struct.pack(">II", len(fields), len(store)) + index + store

    h1 = header([(1000, 6, "openssh-server"), (1001, 6, "8.7p1"), (1002, 6, "38.el9"), (1022, 6, "x86_64")])
    h2 = header([(1000, 6, "bash"), (1001, 6, "5.1.8"), (1002, 6, "6.el9"), (1003, 4, 1), (1022, 6, "(none)")])
    h3 = header([(1003, 4, 2), (1000, 6, "a"), (1001, 6, "1"), (1002, 6, "1")])
    for h in (h1, h2, h3):
        add("rpm", h)
    add("rpm", b"S" + h1 + b"\n--\n" + h2 + b"\n--\n" + h3[:-3])

    # scan: each base spec file as a tree, hostile trees, and cases.
    for spec in base:
        files, links, dirs = spec_files(spec)
        add("scan", file_set(files, links, dirs))
    add("scan", file_set(
        [("/usr/lib/os-release", "ID=hostile\n", None), ("/srv/passwd", "root:x:0:0:root:/root:/bin/inside\n", None)],
        [("/etc/os-release", "../../../../../../../../usr/lib/os-release"), ("/etc/passwd", "/srv/passwd"),
         ("/etc/ssh/sshd_config", "/etc/ssh/b"), ("/etc/ssh/b", "/etc/ssh/sshd_config"), ("/etc/group", "/proc/self/status")],
        [("/etc/ssh", None)]) + "@@ p /etc/shadow\n@@ s /etc/login.defs 4294967296\n@@ c /etc/hostname\n")
    add("scan", "@@ f /etc/os-release\nID=debian\n@@ l /etc/passwd -> ../../../etc/passwd\n@@ l /etc/shadow -> $OUT/etc/shadow\n@@ l /etc/ssh -> ../../../../etc/ssh\n@@ l /etc/sudoers -> $ROOT/../../../../outside/etc/sudoers\n@@ f /etc/ssh/sshd_config.d/a.conf\nInclude /etc/../../../etc/ssh/sshd_config\n")
    add("scan", "@@ f /etc/ssh/sshd_config\nInclude /*/../etc/ssh/sshd_config.d/*.conf ../../x\n@@ d /a\n@@ d /b\n@@ l /etc/ssh/sshd_config.d -> ../../../etc/ssh/sshd_config.d\n@@ l /x -> ../etc/passwd\n")
    add("scan", "@@ f /etc/sudoers\n@includedir /etc/sudoers.d\n#include ../../../etc/sudoers\n@@ l /etc/sudoers.d -> /../../etc/sudoers.d\n@@ f /etc/audit/rules.d/a.rules\n-w /etc/passwd -p wa -k identity\n@@ l /etc/audit/rules.d/b.rules -> $OUT/etc/audit/rules.d/x.rules\n")
    add("scan", "@@ f /etc/passwd\nroot:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/../../../etc:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n@@ l /home/bob -> ../../../o3\n@@ d /home/alice #0777\n@@ f /tmp/ww #0666\nx\n@@ l /var/lib/dpkg -> ../../../../var/lib/dpkg\n@@ l /var/lib/rpm/rpmdb.sqlite -> $OUT/var/lib/rpm/rpmdb.sqlite\n")
    for case in all_cases:
        files, links, dirs = spec_files(case)
        if links or any(m for *_, m in files) or dirs:
            add("scan", file_set(files, links, dirs))

    total = 0
    for target, seeds in sorted(corpus.items()):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            total += len(data)
        print(f"{target}: {len(seeds)} seeds", file=sys.stderr)
    print(f"total {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
