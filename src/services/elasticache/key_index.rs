//! A shard's index from key to the item's position in the store.
//!
//! Workload keys are the integers `0..n` (`crate::model::keys`), so the index is a plain
//! vector of positions for keys below [`DENSE_KEYS`], grown on demand to the highest key seen,
//! and a hash map above it. A lookup in the vector is one load where a hash map needs two
//! (its control bytes, then its bucket), and on a cache of 200,000 keys both miss the CPU's
//! caches: a `web-tier` profile spent a tenth of its time in the shard's lookups.
//!
//! The price is memory: every shard sees keys from the whole range, so each holds a vector as
//! long as the highest key it has seen (4 bytes a key, at most 16 MiB). `KeyIndex::footprint`
//! reports it, so the run's memory budget counts it.

use rustc_hash::FxHashMap;

/// Keys below this are indexed by a vector (at most 16 MiB of positions per shard).
pub const DENSE_KEYS: u64 = 1 << 22;
/// An empty slot of the vector.
const ABSENT: u32 = u32::MAX;

/// Key → position, for keys of any size.
#[derive(Default)]
pub struct KeyIndex {
    dense: Vec<u32>,
    sparse: FxHashMap<u64, u32>,
}

impl KeyIndex {
    /// The position of `key`, if it is indexed.
    #[inline]
    pub fn get(&self, key: u64) -> Option<u32> {
        if key < DENSE_KEYS {
            match self.dense.get(key as usize) {
                Some(&position) if position != ABSENT => Some(position),
                _ => None,
            }
        } else {
            self.sparse.get(&key).copied()
        }
    }

    /// Indexes `key` at `position` (replacing any earlier position).
    #[inline]
    pub fn insert(&mut self, key: u64, position: u32) {
        debug_assert_ne!(position, ABSENT);
        if key < DENSE_KEYS {
            let slot = key as usize;
            if slot >= self.dense.len() {
                self.grow(slot);
            }
            self.dense[slot] = position;
        } else {
            self.sparse.insert(key, position);
        }
    }

    #[cold]
    fn grow(&mut self, slot: usize) {
        // Doubling keeps growth amortized when keys arrive in rising order.
        let len = (slot + 1).max(self.dense.len() * 2).min(DENSE_KEYS as usize);
        self.dense.resize(len, ABSENT);
    }

    /// Forgets `key`.
    #[inline]
    pub fn remove(&mut self, key: u64) {
        if key < DENSE_KEYS {
            if let Some(position) = self.dense.get_mut(key as usize) {
                *position = ABSENT;
            }
        } else {
            self.sparse.remove(&key);
        }
    }

    /// Forgets every key (the memory stays allocated).
    pub fn clear(&mut self) {
        self.dense.fill(ABSENT);
        self.sparse.clear();
    }

    /// Bytes of simulator memory the index takes.
    pub fn footprint(&self) -> u64 {
        (self.dense.capacity() * std::mem::size_of::<u32>()
            + self.sparse.capacity() * (std::mem::size_of::<(u64, u32)>() + 1)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys on both sides of the dense limit are found, replaced and forgotten alike.
    #[test]
    fn dense_and_sparse_keys_behave_alike() {
        let mut index = KeyIndex::default();
        for key in [0, 7, DENSE_KEYS - 1, DENSE_KEYS, u64::MAX] {
            assert_eq!(index.get(key), None);
            index.insert(key, 3);
            assert_eq!(index.get(key), Some(3));
            index.insert(key, 4);
            assert_eq!(index.get(key), Some(4));
            index.remove(key);
            assert_eq!(index.get(key), None);
            index.insert(key, 5);
        }
        assert_eq!(index.get(8), None, "a slot grown but never set is absent");
        index.clear();
        for key in [0, 7, DENSE_KEYS - 1, DENSE_KEYS, u64::MAX] {
            assert_eq!(index.get(key), None);
        }
        assert!(index.footprint() >= 4 * DENSE_KEYS);
    }
}
