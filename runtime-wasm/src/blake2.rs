//! A `const fn` BLAKE2b (RFC 7693), unkeyed, used to derive runtime API ids at compile time.
//!
//! Substrate identifies a runtime API by the 8-byte BLAKE2b digest of its trait name. Computing
//! the ids here (instead of pasting hex) keeps the names the single source of truth, and the
//! compile-time assertion in `version.rs` pins the implementation to the well-known `Core` id.
//! Speed is irrelevant: it only runs in the compiler's const evaluator.

const IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// Message word schedule; rounds 10 and 11 reuse rows 0 and 1.
const SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

const BLOCK: usize = 128;

/// The mixing function G, applied to columns and diagonals of the working vector.
const fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

/// Compresses one (zero-padded) block; `counter` is the number of message bytes so far.
const fn compress(h: &mut [u64; 8], block: &[u8; BLOCK], counter: u128, last: bool) {
    let mut m = [0u64; 16];
    let mut i = 0;
    while i < 16 {
        let mut word = [0u8; 8];
        let mut j = 0;
        while j < 8 {
            word[j] = block[i * 8 + j];
            j += 1;
        }
        m[i] = u64::from_le_bytes(word);
        i += 1;
    }
    let mut v = [0u64; 16];
    let mut i = 0;
    while i < 8 {
        v[i] = h[i];
        v[i + 8] = IV[i];
        i += 1;
    }
    v[12] ^= counter as u64;
    v[13] ^= (counter >> 64) as u64;
    if last {
        v[14] = !v[14];
    }
    let mut round = 0;
    while round < 12 {
        let s = &SIGMA[round % 10];
        mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        round += 1;
    }
    let mut i = 0;
    while i < 8 {
        h[i] ^= v[i] ^ v[i + 8];
        i += 1;
    }
}

/// The unkeyed BLAKE2b digest of `data` with an output length of `N` bytes (1..=64).
pub const fn blake2b<const N: usize>(data: &[u8]) -> [u8; N] {
    assert!(N >= 1 && N <= 64, "BLAKE2b digests are 1 to 64 bytes long");
    let mut h = IV;
    // Parameter block: digest length, no key, fanout 1, depth 1.
    h[0] ^= 0x0101_0000 ^ (N as u64);

    // Every block but the last is compressed as "not final"; an empty message is one zero block.
    let blocks = if data.is_empty() {
        1
    } else {
        data.len().div_ceil(BLOCK)
    };
    let mut index = 0;
    while index < blocks {
        let start = index * BLOCK;
        let mut block = [0u8; BLOCK];
        let mut j = 0;
        while j < BLOCK && start + j < data.len() {
            block[j] = data[start + j];
            j += 1;
        }
        let last = index + 1 == blocks;
        let counter = if last { data.len() } else { start + BLOCK };
        compress(&mut h, &block, counter as u128, last);
        index += 1;
    }

    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = h[i / 8].to_le_bytes()[i % 8];
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::blake2b;

    #[test]
    fn matches_rfc_7693_test_vector() {
        // RFC 7693, Appendix A: BLAKE2b-512("abc").
        let expected = "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
                        7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923";
        assert_eq!(hex(&blake2b::<64>(b"abc")), expected);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn matches_reference_digests() {
        // Reference values from Python's hashlib.blake2b(data, digest_size=32).
        assert_eq!(
            hex(&blake2b::<32>(b"")),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        );
        // Exactly two blocks: the final block must not be followed by an extra empty one.
        assert_eq!(
            hex(&blake2b::<32>(&[b'a'; 256])),
            "eae4d3a7627549b383179dc18049964f91a6fed14c9f3fb26705eda3eeda5558"
        );
        // A partial third block.
        assert_eq!(
            hex(&blake2b::<32>(&[b'a'; 300])),
            "3c1292de00a518e36823f9ff908ac2da46be38718c018713403461df077e15f6"
        );
    }
}
