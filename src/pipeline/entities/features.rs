//! Hashed features for the sequence tagger.
//!
//! Every token is summarised once into a [`TokenInfo`] (hashes of its exact
//! and lower-cased form, word shape, prefixes, suffixes, word cluster and
//! gazetteer tag); the feature templates then combine those hashes with a
//! template id into a bucket of the weight table. No string is built and
//! nothing is allocated per token, which is what makes the stage fast.

/// Seeds for the boundary pseudo-tokens.
const BOS: u64 = 0x9e37_79b9_7f4a_7c15;
const EOS: u64 = 0xc2b2_ae3d_27d4_eb4f;

/// Number of prefix and suffix lengths used (1..=AFFIXES characters).
pub const AFFIXES: usize = 4;

/// What the templates need to know about one token, all as hashes.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenInfo {
    pub exact: u64,
    pub lower: u64,
    pub shape: u64,
    pub prefix: [u64; AFFIXES],
    pub suffix: [u64; AFFIXES],
    /// Word cluster ids at two granularities (0 = unknown word).
    pub cluster: [u16; 2],
    /// Gazetteer tag: 0 none, else 1 + 2*type + (0 for begin, 1 inside).
    pub gaz: u8,
    /// Token starts with an upper-case letter.
    pub upper_initial: bool,
}

#[inline]
pub fn mix(a: u64, b: u64) -> u64 {
    let x = (a ^ b.rotate_left(23)).wrapping_mul(0x9fb2_1c65_1e98_df25);
    x ^ (x >> 29)
}

#[inline]
fn step(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x0100_0000_01b3)
}

/// Hash of a string (FNV-1a over bytes).
pub fn hash_str(s: &str) -> u64 {
    hash_str_bytes(s.as_bytes())
}

/// FNV-1a over bytes.
pub fn hash_str_bytes(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h = step(h, u64::from(b));
    }
    h
}

/// Hash of the lower-cased string, computed without allocating.
pub fn hash_lower(s: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for c in s.chars() {
        if c.is_ascii() {
            h = step(h, u64::from(c.to_ascii_lowercase() as u8));
        } else {
            for l in c.to_lowercase() {
                h = step(h, u64::from(l as u32) | 0x100);
            }
        }
    }
    h
}

fn shape_class(c: char) -> u8 {
    if c.is_uppercase() {
        b'X'
    } else if c.is_lowercase() {
        b'x'
    } else if c.is_ascii_digit() {
        b'd'
    } else if c.is_alphabetic() {
        b'a'
    } else if c.is_ascii() {
        c as u8
    } else {
        b'#'
    }
}

/// Computes the per-token summary. `cluster` is looked up by the caller
/// (it needs the lower-case hash computed here).
pub fn token_info(s: &str) -> TokenInfo {
    let mut info = TokenInfo {
        exact: hash_str(s),
        lower: 0,
        ..TokenInfo::default()
    };
    // Lower-case hash, shape (runs of one class collapsed to two), affixes.
    let mut lower = 0xcbf2_9ce4_8422_2325u64;
    let mut shape = 0x84222325u64;
    let (mut last, mut run) = (0u8, 0u32);
    let mut chars: [u32; 48] = [0; 48];
    let mut n = 0usize;
    for (k, c) in s.chars().enumerate() {
        if k == 0 {
            info.upper_initial = c.is_uppercase();
        }
        let cls = shape_class(c);
        if cls == last {
            run += 1;
        } else {
            run = 1;
            last = cls;
        }
        if run <= 2 {
            shape = step(shape, u64::from(cls));
        }
        let l = if c.is_ascii() {
            c.to_ascii_lowercase() as u32
        } else {
            c.to_lowercase().next().unwrap_or(c) as u32
        };
        lower = step(lower, u64::from(l) | if l > 127 { 0x100 } else { 0 });
        if n < chars.len() {
            chars[n] = l;
            n += 1;
        }
    }
    info.lower = lower;
    info.shape = shape;
    // Prefixes from the start, suffixes from the end of what we kept (tokens
    // over 48 characters are URLs or junk: their tail does not matter).
    let mut h = 0x1234u64;
    for (k, slot) in info.prefix.iter_mut().enumerate() {
        if k < n {
            h = step(h, u64::from(chars[k]));
        }
        *slot = h ^ (k as u64);
    }
    let mut h = 0x4321u64;
    for (k, slot) in info.suffix.iter_mut().enumerate() {
        if k < n {
            h = step(h, u64::from(chars[n - 1 - k]));
        }
        *slot = h ^ (k as u64);
    }
    info
}

/// Number of feature templates (bias included).
pub const TEMPLATES: usize = 38;

/// Fills `out` with the feature hashes of token `i` of a sentence. `lang` is
/// the hash of the language code (conjoined with a few templates so one
/// model can serve several languages).
#[inline]
pub fn features(infos: &[TokenInfo], i: usize, lang: u64, out: &mut [u64; TEMPLATES]) {
    let t = &infos[i];
    let get = |k: isize| -> Option<&TokenInfo> {
        let j = i as isize + k;
        if j < 0 {
            None
        } else {
            infos.get(j as usize)
        }
    };
    let lower = |k: isize| get(k).map_or(if k < 0 { BOS } else { EOS }, |x| x.lower);
    let shape = |k: isize| get(k).map_or(if k < 0 { BOS } else { EOS }, |x| x.shape);
    let cl = |k: isize, g: usize| get(k).map_or(if k < 0 { 0xfffe } else { 0xffff }, |x| x.cluster[g]);
    let gaz = |k: isize| get(k).map_or(0xff, |x| x.gaz);
    let first = i == 0;
    let f = |id: u64, v: u64| mix(v, id.wrapping_mul(0xff51_afd7_ed55_8ccd));
    out[0] = f(0, 0);
    out[1] = f(1, t.exact);
    out[2] = f(2, t.lower);
    out[3] = f(3, lower(-1));
    out[4] = f(4, lower(1));
    out[5] = f(5, lower(-2));
    out[6] = f(6, lower(2));
    out[7] = f(7, t.shape);
    out[8] = f(8, shape(-1));
    out[9] = f(9, shape(1));
    out[10] = f(10, mix(shape(-1), t.shape));
    out[11] = f(11, mix(t.shape, shape(1)));
    for k in 0..AFFIXES {
        out[12 + k] = f(12 + k as u64, t.prefix[k]);
        out[16 + k] = f(16 + k as u64, t.suffix[k]);
    }
    out[20] = f(20, mix(lower(-1), t.lower));
    out[21] = f(21, mix(t.lower, lower(1)));
    out[22] = f(22, u64::from(t.cluster[0]));
    out[23] = f(23, u64::from(t.cluster[1]));
    out[24] = f(24, u64::from(cl(-1, 1)));
    out[25] = f(25, u64::from(cl(1, 1)));
    out[26] = f(26, u64::from(gaz(0)));
    out[27] = f(27, u64::from(gaz(-1)));
    out[28] = f(28, u64::from(gaz(1)));
    out[29] = f(29, mix(lang, t.shape));
    out[30] = f(30, mix(u64::from(first), t.shape));
    out[31] = f(31, mix(lang, t.suffix[2]));
    out[32] = f(32, shape(-2));
    out[33] = f(33, mix(lower(-1), t.shape));
    out[34] = f(34, mix(lang, 1));
    out[35] = f(35, mix(u64::from(cl(-1, 0)), u64::from(t.cluster[0])));
    out[36] = f(36, mix(t.shape, lower(1)));
    out[37] = f(37, mix(u64::from(gaz(0)), t.shape));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_hash_matches_lowercase() {
        assert_eq!(hash_lower("Tokaïev"), hash_lower("TOKAÏEV"));
        assert_eq!(token_info("Paris").lower, token_info("PARIS").lower);
        assert_ne!(token_info("Paris").exact, token_info("PARIS").exact);
        assert_eq!(token_info("Paris").shape, token_info("Lyon").shape);
        assert_ne!(token_info("Paris").shape, token_info("paris").shape);
        assert!(token_info("Paris").upper_initial);
    }

    #[test]
    fn affixes_of_short_words_are_distinct_by_length() {
        let a = token_info("a");
        assert_ne!(a.prefix[0], a.prefix[1]);
        let empty = token_info("");
        assert_eq!(empty.lower, hash_lower(""));
    }

    #[test]
    fn boundaries_are_features() {
        let infos = [token_info("Paris")];
        let mut out = [0u64; TEMPLATES];
        features(&infos, 0, 1, &mut out);
        let mut again = [0u64; TEMPLATES];
        features(&infos, 0, 1, &mut again);
        assert_eq!(out, again);
        features(&infos, 0, 2, &mut again);
        assert_ne!(out[29], again[29]);
    }
}
