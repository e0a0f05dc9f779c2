//! SipHash-2-4 with a 128-bit key, the keyed hash behind TensorFlow's
//! `tf.strings.to_hash_bucket_strong` (and so Keras's salted `Hashing`).

struct State {
    v: [u64; 4],
}

impl State {
    fn round(&mut self) {
        let v = &mut self.v;
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    fn compress(&mut self, m: u64) {
        self.v[3] ^= m;
        self.round();
        self.round();
        self.v[0] ^= m;
    }
}

/// SipHash-2-4 of `data` under the key `(key[0], key[1])` (each read as the
/// little-endian halves k0, k1 of the 128-bit key, as TensorFlow passes them).
///
/// ```
/// use kiln_data::text::siphash24;
/// // The reference vector of the SipHash paper: key 00..0f, message 00..0e.
/// let k0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
/// let k1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
/// let msg: Vec<u8> = (0..15).collect();
/// assert_eq!(siphash24([k0, k1], &msg), 0xa129_ca61_49be_45e5);
/// ```
pub fn siphash24(key: [u64; 2], data: &[u8]) -> u64 {
    let mut s = State {
        v: [
            key[0] ^ 0x736f_6d65_7073_6575,
            key[1] ^ 0x646f_7261_6e64_6f6d,
            key[0] ^ 0x6c79_6765_6e65_7261,
            key[1] ^ 0x7465_6462_7974_6573,
        ],
    };
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        s.compress(u64::from_le_bytes(b));
    }
    // The last block holds the remaining bytes and the length's low byte on top.
    let mut last = (data.len() as u64 & 0xff) << 56;
    for (i, &b) in chunks.remainder().iter().enumerate() {
        last |= (b as u64) << (8 * i);
    }
    s.compress(last);
    s.v[2] ^= 0xff;
    for _ in 0..4 {
        s.round();
    }
    s.v[0] ^ s.v[1] ^ s.v[2] ^ s.v[3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vectors_of_the_paper() {
        // Appendix A of Aumasson & Bernstein: key 00..0f, messages 00..(n-1).
        let k0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        let k1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
        let msg: Vec<u8> = (0..64).collect();
        assert_eq!(siphash24([k0, k1], &msg[..0]), 0x726f_db47_dd0e_0e31);
        assert_eq!(siphash24([k0, k1], &msg[..1]), 0x74f8_39c5_93dc_67fd);
        assert_eq!(siphash24([k0, k1], &msg[..8]), 0x93f5_f579_9a93_2462);
        assert_eq!(siphash24([k0, k1], &msg[..15]), 0xa129_ca61_49be_45e5);
    }
}
