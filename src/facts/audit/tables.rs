//! The numbers and names auditctl and the kernel agree on: lists, actions,
//! operators, fields, machines, errno names. Values are those of
//! `<linux/audit.h>`; name tables are libaudit 3.0.9's (`lib/*tab.h`), with
//! the case rules its generated lookups apply (field, machine, syscall and
//! file type names ignore case, errno names too, lists and actions do not).

use super::generated;

pub const FILTER_USER: u32 = 0x00;
pub const FILTER_TASK: u32 = 0x01;
pub const FILTER_EXIT: u32 = 0x04;
pub const FILTER_EXCLUDE: u32 = 0x05;
pub const FILTER_FS: u32 = 0x06;
pub const FILTER_PREPEND: u32 = 0x10;
pub const FILTER_MASK: u32 = 0x07;
/// auditctl's "no list given yet".
pub const FILTER_UNSET: u32 = 0x80;

pub const ACTION_NEVER: u32 = 0;
pub const ACTION_ALWAYS: u32 = 2;

pub const OP_BIT_MASK: u32 = 0x0800_0000;
pub const OP_LT: u32 = 0x1000_0000;
pub const OP_GT: u32 = 0x2000_0000;
pub const OP_NE: u32 = 0x3000_0000;
pub const OP_EQ: u32 = 0x4000_0000;
pub const OP_BIT_TEST: u32 = 0x4800_0000;
pub const OP_LE: u32 = 0x5000_0000;
pub const OP_GE: u32 = 0x6000_0000;

pub const F_PID: u32 = 0;
pub const F_UID: u32 = 1;
pub const F_EUID: u32 = 2;
pub const F_SUID: u32 = 3;
pub const F_FSUID: u32 = 4;
pub const F_GID: u32 = 5;
pub const F_EGID: u32 = 6;
pub const F_SGID: u32 = 7;
pub const F_FSGID: u32 = 8;
pub const F_LOGINUID: u32 = 9;
pub const F_PERS: u32 = 10;
pub const F_ARCH: u32 = 11;
pub const F_MSGTYPE: u32 = 12;
pub const F_SUBJ_USER: u32 = 13;
pub const F_SUBJ_ROLE: u32 = 14;
pub const F_SUBJ_TYPE: u32 = 15;
pub const F_SUBJ_SEN: u32 = 16;
pub const F_SUBJ_CLR: u32 = 17;
pub const F_PPID: u32 = 18;
pub const F_OBJ_USER: u32 = 19;
pub const F_OBJ_ROLE: u32 = 20;
pub const F_OBJ_TYPE: u32 = 21;
pub const F_OBJ_LEV_LOW: u32 = 22;
pub const F_OBJ_LEV_HIGH: u32 = 23;
pub const F_SESSIONID: u32 = 25;
pub const F_FSTYPE: u32 = 26;
pub const F_DEVMAJOR: u32 = 100;
pub const F_DEVMINOR: u32 = 101;
pub const F_INODE: u32 = 102;
pub const F_EXIT: u32 = 103;
pub const F_SUCCESS: u32 = 104;
pub const F_WATCH: u32 = 105;
pub const F_PERM: u32 = 106;
pub const F_DIR: u32 = 107;
pub const F_FILETYPE: u32 = 108;
pub const F_OBJ_UID: u32 = 109;
pub const F_OBJ_GID: u32 = 110;
pub const F_FIELD_COMPARE: u32 = 111;
pub const F_EXE: u32 = 112;
pub const F_SADDR_FAM: u32 = 113;
pub const F_ARG0: u32 = 200;
pub const F_ARG3: u32 = 203;
pub const F_FILTERKEY: u32 = 210;

pub const PERM_EXEC: u32 = 1;
pub const PERM_WRITE: u32 = 2;
pub const PERM_READ: u32 = 4;
pub const PERM_ATTR: u32 = 8;

/// The longest key the kernel keeps (`AUDIT_MAX_KEY_LEN`).
pub const MAX_KEY_LEN: usize = 256;
/// Fields a rule may hold (`AUDIT_MAX_FIELDS`).
pub const MAX_FIELDS: usize = 64;
/// 64 words of 32 bits: syscall numbers 0 to 2047.
pub const BITMASK_WORDS: usize = 64;
/// The separator auditctl puts between the keys of one rule.
pub const KEY_SEPARATOR: char = '\u{1}';

pub const ARCH_64BIT: u32 = 0x8000_0000;

/// Field names auditctl knows, as libaudit 3.0.9's `fieldtab.h` lists them.
/// The first name of a field is the one it is printed with.
pub const FIELDS: &[(&str, u32)] = &[
    ("pid", F_PID),
    ("uid", F_UID),
    ("euid", F_EUID),
    ("suid", F_SUID),
    ("fsuid", F_FSUID),
    ("gid", F_GID),
    ("egid", F_EGID),
    ("sgid", F_SGID),
    ("fsgid", F_FSGID),
    ("auid", F_LOGINUID),
    ("loginuid", F_LOGINUID),
    ("pers", F_PERS),
    ("arch", F_ARCH),
    ("msgtype", F_MSGTYPE),
    ("subj_user", F_SUBJ_USER),
    ("subj_role", F_SUBJ_ROLE),
    ("subj_type", F_SUBJ_TYPE),
    ("subj_sen", F_SUBJ_SEN),
    ("subj_clr", F_SUBJ_CLR),
    ("ppid", F_PPID),
    ("obj_user", F_OBJ_USER),
    ("obj_role", F_OBJ_ROLE),
    ("obj_type", F_OBJ_TYPE),
    ("obj_lev_low", F_OBJ_LEV_LOW),
    ("obj_lev_high", F_OBJ_LEV_HIGH),
    ("sessionid", F_SESSIONID),
    ("fstype", F_FSTYPE),
    ("devmajor", F_DEVMAJOR),
    ("devminor", F_DEVMINOR),
    ("inode", F_INODE),
    ("exit", F_EXIT),
    ("success", F_SUCCESS),
    ("path", F_WATCH),
    ("perm", F_PERM),
    ("dir", F_DIR),
    ("filetype", F_FILETYPE),
    ("obj_uid", F_OBJ_UID),
    ("obj_gid", F_OBJ_GID),
    ("field_compare", F_FIELD_COMPARE),
    ("exe", F_EXE),
    ("saddr_fam", F_SADDR_FAM),
    ("a0", F_ARG0),
    ("a1", F_ARG0 + 1),
    ("a2", F_ARG0 + 2),
    ("a3", F_ARG0 + 3),
    ("key", F_FILTERKEY),
];

pub fn field_by_name(name: &str) -> Option<u32> {
    FIELDS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, f)| *f)
}

pub fn field_name(field: u32) -> String {
    FIELDS
        .iter()
        .find(|(_, f)| *f == field)
        .map_or_else(|| format!("field{field}"), |(n, _)| (*n).to_string())
}

/// Fields whose value is text (a path, a label, a key) rather than a number.
pub fn is_string_field(field: u32) -> bool {
    matches!(
        field,
        F_SUBJ_USER..=F_SUBJ_CLR | F_OBJ_USER..=F_OBJ_LEV_HIGH | F_WATCH | F_DIR | F_FILTERKEY | F_EXE
    )
}

/// Fields compared as user ids, where 4294967295 means "not set".
pub fn is_uid_field(field: u32) -> bool {
    matches!(
        field,
        F_UID | F_EUID | F_SUID | F_FSUID | F_LOGINUID | F_OBJ_UID
    )
}

pub fn is_gid_field(field: u32) -> bool {
    matches!(field, F_GID | F_EGID | F_SGID | F_FSGID | F_OBJ_GID)
}

/// The lists a rule can be put on (`flagtab.h`; exact case).
pub fn list_by_name(name: &str) -> Option<u32> {
    match name {
        "task" => Some(FILTER_TASK),
        "exit" => Some(FILTER_EXIT),
        "user" => Some(FILTER_USER),
        "exclude" => Some(FILTER_EXCLUDE),
        "filesystem" => Some(FILTER_FS),
        _ => None,
    }
}

pub fn list_name(list: u32) -> &'static str {
    match list {
        FILTER_USER => "user",
        FILTER_TASK => "task",
        FILTER_EXIT => "exit",
        FILTER_EXCLUDE => "exclude",
        FILTER_FS => "filesystem",
        _ => "unknown",
    }
}

/// The names `list` of a `audit_rule` probe accepts.
pub const LIST_NAMES: &[&str] = &["exit", "task", "user", "exclude", "filesystem"];

pub fn op_symbol(op: u32) -> &'static str {
    match op {
        OP_BIT_MASK => "&",
        OP_LT => "<",
        OP_GT => ">",
        OP_NE => "!=",
        OP_EQ => "=",
        OP_BIT_TEST => "&=",
        OP_LE => "<=",
        OP_GE => ">=",
        _ => "?",
    }
}

/// The machines libaudit knows (`MACH_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    X86,
    X86_64,
    Ia64,
    Ppc64,
    Ppc,
    S390x,
    S390,
    Alpha,
    Arm,
    Aarch64,
    Ppc64le,
}

/// `uname -m` spellings (`machinetab.h`; any case).
const MACHINE_NAMES: &[(&str, Machine)] = &[
    ("aarch64", Machine::Aarch64),
    ("arm", Machine::Arm),
    ("armeb", Machine::Arm),
    ("armv5tejl", Machine::Arm),
    ("armv5tel", Machine::Arm),
    ("armv6l", Machine::Arm),
    ("armv7l", Machine::Arm),
    ("armv8l", Machine::Arm),
    ("i386", Machine::X86),
    ("i486", Machine::X86),
    ("i586", Machine::X86),
    ("i686", Machine::X86),
    ("ppc", Machine::Ppc),
    ("ppc64", Machine::Ppc64),
    ("ppc64le", Machine::Ppc64le),
    ("s390", Machine::S390),
    ("s390x", Machine::S390x),
    ("x86_64", Machine::X86_64),
];

/// `AUDIT_ARCH_*`: the value an `arch` field holds for each machine
/// libaudit can name (`elftab` of `lookup_table.c`).
const ELF: &[(Machine, u32)] = &[
    (Machine::X86, 0x4000_0003),
    (Machine::X86_64, 0xC000_003E),
    (Machine::Ppc64, 0x8000_0015),
    (Machine::Ppc64le, 0xC000_0015),
    (Machine::Ppc, 0x0000_0014),
    (Machine::S390x, 0x8000_0016),
    (Machine::S390, 0x0000_0016),
    (Machine::Arm, 0x4000_0028),
    (Machine::Aarch64, 0xC000_00B7),
];

impl Machine {
    pub fn from_name(name: &str) -> Option<Machine> {
        MACHINE_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, m)| *m)
    }

    pub fn name(self) -> &'static str {
        match self {
            Machine::X86 => "i386",
            Machine::X86_64 => "x86_64",
            Machine::Ia64 => "ia64",
            Machine::Ppc64 => "ppc64",
            Machine::Ppc => "ppc",
            Machine::S390x => "s390x",
            Machine::S390 => "s390",
            Machine::Alpha => "alpha",
            Machine::Arm => "arm",
            Machine::Aarch64 => "aarch64",
            Machine::Ppc64le => "ppc64le",
        }
    }

    pub fn elf(self) -> Option<u32> {
        ELF.iter().find(|(m, _)| *m == self).map(|(_, e)| *e)
    }

    pub fn from_elf(elf: u32) -> Option<Machine> {
        ELF.iter().find(|(_, e)| *e == elf).map(|(m, _)| *m)
    }

    /// The machine's system call table, when posture has it.
    pub fn syscalls(self) -> Option<&'static [(u32, &'static str)]> {
        match self {
            Machine::X86 => Some(generated::I386),
            Machine::X86_64 => Some(generated::X86_64),
            Machine::Arm => Some(generated::ARM),
            Machine::Aarch64 => Some(generated::AARCH64),
            Machine::S390x => Some(generated::S390X),
            Machine::S390 => Some(generated::S390),
            Machine::Ppc | Machine::Ppc64 | Machine::Ppc64le => Some(generated::PPC),
            Machine::Ia64 | Machine::Alpha => None,
        }
    }

    /// The 32-bit machine a 64-bit one runs `b32` programs as.
    pub fn compat32(self) -> Machine {
        match self {
            Machine::X86_64 => Machine::X86,
            Machine::Ppc64 => Machine::Ppc,
            Machine::S390x => Machine::S390,
            Machine::Aarch64 => Machine::Arm,
            other => other,
        }
    }
}

/// An `arch=` value's name as `auditctl -l` prints it for this host:
/// `b64`/`b32` for the host's own pair of machines, else the machine name.
pub fn arch_name(elf: u32, host: Option<Machine>) -> String {
    let machine = Machine::from_elf(elf);
    match (machine, host) {
        (Some(m), Some(h)) if m == h && elf & ARCH_64BIT != 0 => "b64".into(),
        (Some(m), Some(h)) if m == h.compat32() && elf & ARCH_64BIT == 0 => "b32".into(),
        (Some(m), _) => m.name().into(),
        (None, _) => format!("0x{elf:X}"),
    }
}

/// The errno names libaudit knows (`errtab.h`, and the two 3.0.9 adds),
/// with their Linux values.
const ERRNOS: &[(&str, u32)] = &[
    ("EPERM", 1),
    ("ENOENT", 2),
    ("ESRCH", 3),
    ("EINTR", 4),
    ("EIO", 5),
    ("ENXIO", 6),
    ("E2BIG", 7),
    ("ENOEXEC", 8),
    ("EBADF", 9),
    ("ECHILD", 10),
    ("EAGAIN", 11),
    ("ENOMEM", 12),
    ("EACCES", 13),
    ("EFAULT", 14),
    ("ENOTBLK", 15),
    ("EBUSY", 16),
    ("EEXIST", 17),
    ("EXDEV", 18),
    ("ENODEV", 19),
    ("ENOTDIR", 20),
    ("EISDIR", 21),
    ("EINVAL", 22),
    ("ENFILE", 23),
    ("EMFILE", 24),
    ("ENOTTY", 25),
    ("ETXTBSY", 26),
    ("EFBIG", 27),
    ("ENOSPC", 28),
    ("ESPIPE", 29),
    ("EROFS", 30),
    ("EMLINK", 31),
    ("EPIPE", 32),
    ("EDOM", 33),
    ("ERANGE", 34),
    ("EDEADLK", 35),
    ("ENAMETOOLONG", 36),
    ("ENOLCK", 37),
    ("ENOSYS", 38),
    ("ENOTEMPTY", 39),
    ("ELOOP", 40),
    ("EWOULDBLOCK", 11),
    ("ENOMSG", 42),
    ("EIDRM", 43),
    ("ECHRNG", 44),
    ("EL2NSYNC", 45),
    ("EL3HLT", 46),
    ("EL3RST", 47),
    ("ELNRNG", 48),
    ("EUNATCH", 49),
    ("ENOCSI", 50),
    ("EL2HLT", 51),
    ("EBADE", 52),
    ("EBADR", 53),
    ("EXFULL", 54),
    ("ENOANO", 55),
    ("EBADRQC", 56),
    ("EBADSLT", 57),
    ("EDEADLOCK", 35),
    ("EBFONT", 59),
    ("ENOSTR", 60),
    ("ENODATA", 61),
    ("ETIME", 62),
    ("ENOSR", 63),
    ("ENONET", 64),
    ("ENOPKG", 65),
    ("EREMOTE", 66),
    ("ENOLINK", 67),
    ("EADV", 68),
    ("ESRMNT", 69),
    ("ECOMM", 70),
    ("EPROTO", 71),
    ("EMULTIHOP", 72),
    ("EDOTDOT", 73),
    ("EBADMSG", 74),
    ("EOVERFLOW", 75),
    ("ENOTUNIQ", 76),
    ("EBADFD", 77),
    ("EREMCHG", 78),
    ("ELIBACC", 79),
    ("ELIBBAD", 80),
    ("ELIBSCN", 81),
    ("ELIBMAX", 82),
    ("ELIBEXEC", 83),
    ("EILSEQ", 84),
    ("ERESTART", 85),
    ("ESTRPIPE", 86),
    ("EUSERS", 87),
    ("ENOTSOCK", 88),
    ("EDESTADDRREQ", 89),
    ("EMSGSIZE", 90),
    ("EPROTOTYPE", 91),
    ("ENOPROTOOPT", 92),
    ("EPROTONOSUPPORT", 93),
    ("ESOCKTNOSUPPORT", 94),
    ("EOPNOTSUPP", 95),
    ("EPFNOSUPPORT", 96),
    ("EAFNOSUPPORT", 97),
    ("EADDRINUSE", 98),
    ("EADDRNOTAVAIL", 99),
    ("ENETDOWN", 100),
    ("ENETUNREACH", 101),
    ("ENETRESET", 102),
    ("ECONNABORTED", 103),
    ("ECONNRESET", 104),
    ("ENOBUFS", 105),
    ("EISCONN", 106),
    ("ENOTCONN", 107),
    ("ESHUTDOWN", 108),
    ("ETOOMANYREFS", 109),
    ("ETIMEDOUT", 110),
    ("ECONNREFUSED", 111),
    ("EHOSTDOWN", 112),
    ("EHOSTUNREACH", 113),
    ("EALREADY", 114),
    ("EINPROGRESS", 115),
    ("ESTALE", 116),
    ("EUCLEAN", 117),
    ("ENOTNAM", 118),
    ("ENAVAIL", 119),
    ("EISNAM", 120),
    ("EREMOTEIO", 121),
    ("EDQUOT", 122),
    ("ENOMEDIUM", 123),
    ("EMEDIUMTYPE", 124),
    ("ECANCELED", 125),
    ("ENOKEY", 126),
    ("EKEYEXPIRED", 127),
    ("EKEYREVOKED", 128),
    ("EKEYREJECTED", 129),
    ("EOWNERDEAD", 130),
    ("ENOTRECOVERABLE", 131),
    ("ERFKILL", 132),
    ("EHWPOISON", 133),
];

/// `audit_name_to_errno`: `EACCES` is 13, `-EACCES` is -13; 0 when unknown.
pub fn errno_by_name(name: &str) -> i64 {
    let (sign, name) = match name.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, name),
    };
    ERRNOS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or(0, |(_, v)| sign * i64::from(*v))
}

/// The name `auditctl -l` prints for an errno value (the first listed).
pub fn errno_name(value: u32) -> Option<&'static str> {
    ERRNOS.iter().find(|(_, v)| *v == value).map(|(n, _)| *n)
}

/// `-F filetype=` names (`ftypetab.h`) and their `S_IFMT` values.
const FILE_TYPES: &[(&str, u32)] = &[
    ("block", 0o060000),
    ("character", 0o020000),
    ("dir", 0o040000),
    ("fifo", 0o010000),
    ("file", 0o100000),
    ("link", 0o120000),
    ("socket", 0o140000),
];

pub fn file_type_by_name(name: &str) -> Option<u32> {
    FILE_TYPES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

pub fn file_type_name(value: u32) -> Option<&'static str> {
    FILE_TYPES
        .iter()
        .find(|(_, v)| *v == value)
        .map(|(n, _)| *n)
}

/// `-F fstype=` names (`fstypetab.h`): the filesystems' magic numbers.
const FS_TYPES: &[(&str, u32)] = &[("debugfs", 0x6462_6720), ("tracefs", 0x7472_6163)];

pub fn fs_type_by_name(name: &str) -> Option<u32> {
    FS_TYPES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

pub fn fs_type_name(value: u32) -> Option<&'static str> {
    FS_TYPES.iter().find(|(_, v)| *v == value).map(|(n, _)| *n)
}

/// `audit_name_to_msg_type`: a name (any case), `UNKNOWN[N]` or a number.
pub fn msg_type_by_name(name: &str) -> Option<u32> {
    if let Some(t) = generated::MSG_TYPES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
    {
        return Some(t.0);
    }
    if let Some(rest) = name.strip_prefix("UNKNOWN[") {
        let end = rest.find(']')?;
        let digits: String = rest[..end].chars().take(7).collect();
        return u32::try_from(super::number::strtol(&digits, 10).0).ok();
    }
    None
}

pub fn msg_type_name(value: u32) -> Option<&'static str> {
    generated::MSG_TYPES
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, n)| *n)
}

/// `AUDIT_COMPARE_*`: the field pairs `-C` can compare, as
/// `auditctl -l` names them.
const COMPARES: &[(u32, u32, u32)] = &[
    (1, F_UID, F_OBJ_UID),
    (2, F_GID, F_OBJ_GID),
    (3, F_EUID, F_OBJ_UID),
    (4, F_EGID, F_OBJ_GID),
    (5, F_LOGINUID, F_OBJ_UID),
    (6, F_SUID, F_OBJ_UID),
    (7, F_SGID, F_OBJ_GID),
    (8, F_FSUID, F_OBJ_UID),
    (9, F_FSGID, F_OBJ_GID),
    (10, F_UID, F_LOGINUID),
    (11, F_UID, F_EUID),
    (12, F_UID, F_FSUID),
    (13, F_UID, F_SUID),
    (14, F_LOGINUID, F_FSUID),
    (15, F_LOGINUID, F_SUID),
    (16, F_LOGINUID, F_EUID),
    (17, F_EUID, F_SUID),
    (18, F_EUID, F_FSUID),
    (19, F_SUID, F_FSUID),
    (20, F_GID, F_EGID),
    (21, F_GID, F_FSGID),
    (22, F_GID, F_SGID),
    (23, F_EGID, F_FSGID),
    (24, F_EGID, F_SGID),
    (25, F_SGID, F_FSGID),
];

/// The comparison of two fields, in either order; `None` for a pair the
/// kernel cannot compare (`-C pid!=uid`).
pub fn compare_of(a: u32, b: u32) -> Option<u32> {
    COMPARES
        .iter()
        .find(|(_, x, y)| (*x == a && *y == b) || (*x == b && *y == a))
        .map(|(c, _, _)| *c)
}

/// The two fields of a comparison, as the kernel's constant names them.
pub fn compare_fields(compare: u32) -> Option<(u32, u32)> {
    COMPARES
        .iter()
        .find(|(c, _, _)| *c == compare)
        .map(|(_, a, b)| (*a, *b))
}

/// The system call number `name` has on `machine` (any case).
pub fn syscall_by_name(table: &[(u32, &str)], name: &str) -> Option<u32> {
    table
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(nr, _)| *nr)
}

pub fn syscall_name(table: &[(u32, &'static str)], nr: u32) -> Option<&'static str> {
    table.iter().find(|(n, _)| *n == nr).map(|(_, name)| *name)
}
