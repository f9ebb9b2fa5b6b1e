//! `0x`-prefixed hexadecimal, as chain specs write storage keys and values.
//!
//! Decoding is table-driven and reports the position of the first bad character, so that a
//! parse error can point into a multi-megabyte `:code` string.

use std::fmt;

/// Why a string is not valid hexadecimal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexError {
    /// The index (in characters, counting the `0x` prefix when there is one) of the first
    /// character that is not a hex digit, or the length of the string for an odd number of
    /// digits.
    pub index: usize,
    /// What is wrong at `index`.
    pub kind: HexErrorKind,
}

/// The kind of a [`HexError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HexErrorKind {
    /// `index` holds this character, which is not a hex digit.
    InvalidChar(char),
    /// The string has an odd number of hex digits (the payload after the `0x` prefix).
    OddLength(usize),
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            HexErrorKind::InvalidChar(c) => {
                write!(
                    f,
                    "invalid hex at char {} ({c:?} is not a hex digit)",
                    self.index
                )
            }
            HexErrorKind::OddLength(digits) => write!(
                f,
                "invalid hex at char {}: odd number of hex digits ({digits})",
                self.index
            ),
        }
    }
}

impl std::error::Error for HexError {}

const INVALID: u8 = 0xff;

/// Hex digit value of every byte, `INVALID` for non-digits.
const DIGITS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Decodes `text`, with or without a `0x` prefix (Substrate accepts both), upper or lower case.
pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let bytes = text.as_bytes();
    let (prefix, digits) = match bytes {
        [b'0', b'x', rest @ ..] => (2, rest),
        _ => (0, bytes),
    };
    let mut out = Vec::with_capacity(digits.len() / 2);
    let mut pairs = digits.chunks_exact(2);
    for (pair_index, pair) in pairs.by_ref().enumerate() {
        let (hi, lo) = (DIGITS[pair[0] as usize], DIGITS[pair[1] as usize]);
        if hi == INVALID || lo == INVALID {
            let offset = prefix + 2 * pair_index + usize::from(hi != INVALID);
            return Err(invalid_char(text, offset));
        }
        out.push(hi << 4 | lo);
    }
    if let [last] = pairs.remainder() {
        let offset = prefix + digits.len() - 1;
        if DIGITS[*last as usize] == INVALID {
            return Err(invalid_char(text, offset));
        }
        return Err(HexError {
            index: text.chars().count(),
            kind: HexErrorKind::OddLength(digits.len()),
        });
    }
    Ok(out)
}

/// The error for the bad byte at `byte_offset` of `text`. Everything before it is ASCII, so
/// the byte offset is also the character index; the character itself may be multi-byte.
fn invalid_char(text: &str, byte_offset: usize) -> HexError {
    let c = text
        .get(byte_offset..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    HexError {
        index: byte_offset,
        kind: HexErrorKind::InvalidChar(c),
    }
}

/// Decodes exactly 32 bytes (a hash).
pub fn decode_hash(text: &str) -> Result<[u8; 32], String> {
    let bytes = decode(text).map_err(|e| e.to_string())?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("expected 32 bytes of hex, found {}", bytes.len()))
}

/// `0x` followed by the lowercase hex digits of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 + 2 * bytes.len());
    out.push_str("0x");
    for byte in bytes {
        out.push(LOWER[usize::from(byte >> 4)] as char);
        out.push(LOWER[usize::from(byte & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_with_and_without_prefix() {
        assert_eq!(decode("0x3a636f6465").unwrap(), b":code");
        assert_eq!(decode("3A636F6465").unwrap(), b":code");
        assert_eq!(decode("0x").unwrap(), b"");
        assert_eq!(decode("").unwrap(), b"");
    }

    #[test]
    fn reports_the_first_bad_char_index() {
        let err = decode("0x3a63zz").unwrap_err();
        assert_eq!(err.index, 6);
        assert_eq!(err.kind, HexErrorKind::InvalidChar('z'));
        let err = decode("0x3a6g").unwrap_err();
        assert_eq!(err.index, 5);
        assert_eq!(
            err.to_string(),
            "invalid hex at char 5 ('g' is not a hex digit)"
        );
        // a non-ASCII character after valid digits
        let err = decode("0xabé0").unwrap_err();
        assert_eq!((err.index, err.kind), (4, HexErrorKind::InvalidChar('é')));
        // "0X" is not a prefix: the 'X' is the bad character
        assert_eq!(decode("0X00").unwrap_err().index, 1);
    }

    #[test]
    fn rejects_odd_lengths() {
        let err = decode("0x3a6").unwrap_err();
        assert_eq!((err.index, err.kind), (5, HexErrorKind::OddLength(3)));
        // a bad last digit is reported as such, not as an odd length
        assert_eq!(decode("0x3a6q").unwrap_err().index, 5);
        assert_eq!(
            decode("0x3aq").unwrap_err().kind,
            HexErrorKind::InvalidChar('q')
        );
    }

    #[test]
    fn hashes_must_be_32_bytes() {
        assert_eq!(decode_hash(&encode(&[7; 32])).unwrap(), [7; 32]);
        assert!(decode_hash("0x00").unwrap_err().contains("found 1"));
    }

    proptest! {
        #[test]
        fn roundtrip(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(decode(&encode(&bytes)).unwrap(), bytes.clone());
            prop_assert_eq!(decode(&encode(&bytes).to_uppercase()[2..]).unwrap(), bytes);
        }

        #[test]
        fn arbitrary_strings_never_panic(text in ".{0,64}") {
            if let Err(err) = decode(&text) {
                prop_assert!(err.index <= text.chars().count());
            }
        }
    }
}
