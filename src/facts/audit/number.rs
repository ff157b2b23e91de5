//! C's `strtol`/`strtoul`, which auditctl uses for every number: a value
//! is read as far as it goes (`1000x` is 1000), `0x` means hex and a
//! leading `0` octal (`0100` is 64), and out-of-range input saturates.

/// What `strtol`/`strtoul` return: the value and whether it overflowed
/// (`errno == ERANGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed<T> {
    pub value: T,
    pub overflow: bool,
}

/// The digits of `s` after C's leading white space, sign and base prefix:
/// whether it is negative, and the magnitude (saturated just above u64).
fn scan(s: &str, base: u32) -> (bool, u128) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
        negative = bytes[i] == b'-';
        i += 1;
    }
    let mut base = base;
    let hex_prefix = |i: usize| {
        bytes.get(i) == Some(&b'0')
            && bytes.get(i + 1).is_some_and(|b| b | 0x20 == b'x')
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    };
    if base == 0 {
        if hex_prefix(i) {
            base = 16;
            i += 2;
        } else if bytes.get(i) == Some(&b'0') {
            base = 8;
        } else {
            base = 10;
        }
    } else if base == 16 && hex_prefix(i) {
        i += 2;
    }
    let mut value: u128 = 0;
    while let Some(d) = bytes.get(i).and_then(|b| (*b as char).to_digit(36)) {
        if d >= base {
            break;
        }
        // Saturate well above u64 so the caller can tell an overflow.
        value = (value * u128::from(base) + u128::from(d)).min(u128::from(u64::MAX) + 1);
        i += 1;
    }
    (negative, value)
}

/// `strtol(s, NULL, base)` on a 64-bit `long`.
pub fn strtol(s: &str, base: u32) -> (i64, bool) {
    let (negative, value) = scan(s, base);
    if negative {
        let limit = u128::from(i64::MAX as u64) + 1;
        if value > limit {
            (i64::MIN, true)
        } else {
            ((value as i128).wrapping_neg() as i64, false)
        }
    } else if value > u128::from(i64::MAX as u64) {
        (i64::MAX, true)
    } else {
        (value as i64, false)
    }
}

/// `strtoul(s, NULL, base)` on a 64-bit `unsigned long`: a `-` negates the
/// value modulo 2^64, as C does.
pub fn strtoul(s: &str, base: u32) -> (u64, bool) {
    let (negative, value) = scan(s, base);
    if value > u128::from(u64::MAX) {
        return (u64::MAX, true);
    }
    let v = value as u64;
    (if negative { v.wrapping_neg() } else { v }, false)
}

/// `isdigit(s[0])`.
pub fn starts_with_digit(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// auditctl's test for a negative number: `-` then a digit.
pub fn is_negative_number(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && b[1].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_follow_c() {
        assert_eq!(strtol("1000", 0), (1000, false));
        assert_eq!(strtol("0x3e8", 0), (1000, false));
        assert_eq!(strtol("0100", 0), (64, false));
        assert_eq!(strtol("1000abc", 0), (1000, false));
        assert_eq!(strtol("-13", 0), (-13, false));
        assert_eq!(strtol("-0x10", 0), (-16, false));
        assert_eq!(strtol("0x", 0), (0, false));
        assert_eq!(strtol("08", 0), (0, false));
        assert_eq!(strtol("", 0), (0, false));
        assert_eq!(strtol(" \t7", 0), (7, false));
        assert_eq!(strtol("c000003e", 16), (0xc000_003e, false));
        assert_eq!(strtol("0xc000003e", 16), (0xc000_003e, false));
    }

    #[test]
    fn overflow_saturates() {
        assert_eq!(strtol("99999999999999999999", 0), (i64::MAX, true));
        assert_eq!(strtol("-99999999999999999999", 0), (i64::MIN, true));
        assert_eq!(strtoul("99999999999999999999", 0), (u64::MAX, true));
        assert_eq!(strtoul("99999999999", 0).0 as u32, 1_215_752_191);
        assert_eq!(strtoul("-1", 0).0 as u32, u32::MAX);
    }
}
