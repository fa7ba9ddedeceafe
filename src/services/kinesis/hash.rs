//! Routing a record to a shard as Kinesis does: the partition key (here the request's key
//! written as a decimal string, the way a producer sends a numeric key) is hashed with MD5, the
//! 16-byte digest read as a big-endian 128-bit integer, and the record goes to the shard whose
//! hash-key range holds it (KDSDG, key concepts). A stream created with N shards splits the
//! hash-key space [0, 2^128) evenly: shard i starts at i·⌊2^128/N⌋ and the last ends at
//! 2^128 − 1, which is how CreateStream lays shards out.

use md5::{Digest, Md5};

/// The 128-bit hash key of partition key `key` (its decimal form hashed with MD5), without
/// allocating: the digits are written into a stack buffer.
#[inline]
pub fn hash_key(key: u64) -> u128 {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = key;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digest = Md5::digest(&digits[at..]);
    u128::from_be_bytes(digest.into())
}

/// The explicit hash key a producer gives for `key` with `routing = "explicit"`: the key is
/// the top 64 bits of the 128-bit hash key (key k lands at k·2^64), so keys ⌊i·2^64/N⌋ hit
/// shard i of N.
#[inline]
pub fn explicit_hash_key(key: u64) -> u128 {
    u128::from(key) << 64
}

/// ⌊2^128 / n⌋ for n ≥ 1, saturated to `u128::MAX` for n = 1.
pub fn range_width(n: u32) -> u128 {
    let n = u128::from(n.max(1));
    if n == 1 {
        return u128::MAX;
    }
    // ⌊(2^128 − 1)/n⌋ equals ⌊2^128/n⌋ unless n divides 2^128 (a power of two), where the
    // remainder of 2^128 − 1 is n − 1.
    let quotient = u128::MAX / n;
    if u128::MAX % n == n - 1 { quotient + 1 } else { quotient }
}

/// The hash-key range [start, end] (inclusive) of shard `index` of `n` even shards.
pub fn even_range(index: u32, n: u32) -> (u128, u128) {
    let width = range_width(n);
    let start = width * u128::from(index);
    let end = if index + 1 >= n { u128::MAX } else { width * u128::from(index + 1) - 1 };
    (start, end)
}

/// Which of `n` even shards holds hash key `hash`.
#[inline]
pub fn even_index(hash: u128, n: u32) -> u32 {
    if n <= 1 {
        return 0;
    }
    ((hash / range_width(n)) as u64).min(u64::from(n - 1)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MD5("0") = cfcd208495d565ef66e7dff9f98764da (RFC 1321's algorithm; the well-known digest
    /// of the string "0"), and MD5("1") = c4ca4238a0b923820dcc509a6f75849b.
    #[test]
    fn md5_of_decimal_keys_matches_known_digests() {
        assert_eq!(hash_key(0), 0xcfcd208495d565ef66e7dff9f98764da);
        assert_eq!(hash_key(1), 0xc4ca4238a0b923820dcc509a6f75849b);
        // The digits of a multi-digit key are hashed as text: MD5("12345").
        assert_eq!(hash_key(12345), 0x827ccb0eea8a706c4c34a16891f84e7b);
        // MD5("0") starts with 0xcf, above 3/4 of the space: the last of 4 shards, the second of 2.
        assert_eq!(even_index(hash_key(0), 4), 3);
        assert_eq!(even_index(hash_key(0), 2), 1);
    }

    /// The boundaries CreateStream gives: 2 shards split at 2^127, 3 shards at
    /// 113427455640312821154458202477256070485 (⌊2^128/3⌋) and twice that.
    #[test]
    fn even_ranges_match_create_stream() {
        assert_eq!(even_range(0, 2), (0, (1u128 << 127) - 1));
        assert_eq!(even_range(1, 2), (1u128 << 127, u128::MAX));
        let third = 113_427_455_640_312_821_154_458_202_477_256_070_485u128;
        assert_eq!(even_range(1, 3), (third, 2 * third - 1));
        assert_eq!(even_range(2, 3).1, u128::MAX);
        assert_eq!(even_range(0, 1), (0, u128::MAX));
        for n in [1u32, 2, 3, 7, 64, 1000] {
            for i in 0..n {
                let (start, end) = even_range(i, n);
                assert_eq!(even_index(start, n), i);
                assert_eq!(even_index(end, n), i);
            }
        }
        assert_eq!(even_index(explicit_hash_key(u64::MAX / 4 + 1), 4), 1);
    }
}
