//! Slots with a free list: O(1) insert and remove, and a slot's index stays valid while its
//! item lives, so timers and messages can name an item by its slot. Freed slots are reused
//! last-freed first, and a fresh slot is only added when none is free, so slot numbers (and
//! with them every run's output) do not depend on how the slab is implemented.

/// A slab of `T`s addressed by `u32` slots.
#[derive(Clone, Debug)]
pub struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab::new()
    }
}

impl<T> Slab<T> {
    /// An empty slab.
    pub fn new() -> Self {
        Slab { items: Vec::new(), free: Vec::new() }
    }

    /// Stores `item` and returns its slot: the last freed slot if there is one, else a new one.
    #[inline]
    pub fn insert(&mut self, item: T) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.items[slot as usize] = Some(item);
                slot
            }
            None => {
                self.items.push(Some(item));
                (self.items.len() - 1) as u32
            }
        }
    }

    /// Stores the item `make` builds from its slot (an item that names its own slot, in a
    /// timer or a token) and returns the slot.
    #[inline]
    pub fn insert_with(&mut self, make: impl FnOnce(u32) -> T) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.items[slot as usize] = Some(make(slot));
                slot
            }
            None => {
                let slot = self.items.len() as u32;
                self.items.push(Some(make(slot)));
                slot
            }
        }
    }

    /// The slot the next [`insert`](Self::insert) will use (so an item can name its own slot,
    /// in a timer, before it is stored).
    #[inline]
    pub fn next_slot(&self) -> u32 {
        match self.free.last() {
            Some(&slot) => slot,
            None => self.items.len() as u32,
        }
    }

    /// The item in `slot`, if it holds one.
    #[inline]
    pub fn get(&self, slot: u32) -> Option<&T> {
        self.items.get(slot as usize).and_then(Option::as_ref)
    }

    /// The item in `slot`, mutably, if it holds one.
    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        self.items.get_mut(slot as usize).and_then(Option::as_mut)
    }

    /// Takes the item out of `slot` and frees the slot.
    #[inline]
    pub fn remove(&mut self, slot: u32) -> Option<T> {
        let item = self.items.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some(item)
    }

    /// Number of items held.
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len() - self.free.len()
    }

    /// True if no item is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One past the highest slot ever used: every held slot is below it.
    #[inline]
    pub fn slot_bound(&self) -> u32 {
        self.items.len() as u32
    }

    /// The held items with their slots, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.items.iter().enumerate().filter_map(|(slot, item)| item.as_ref().map(|item| (slot as u32, item)))
    }

    /// Removes every item for which `drop` is true, in slot order (so freed slots are reused
    /// highest first), and returns how many were removed. `on_remove` sees each removed item.
    pub fn remove_where(&mut self, mut drop: impl FnMut(&T) -> bool, mut on_remove: impl FnMut(T)) -> usize {
        let mut removed = 0;
        for slot in 0..self.items.len() {
            if self.items[slot].as_ref().is_some_and(&mut drop) {
                let item = self.items[slot].take().expect("checked above");
                self.free.push(slot as u32);
                on_remove(item);
                removed += 1;
            }
        }
        removed
    }

    /// Bytes of memory its slots and free list occupy: every slot ever used (freed ones
    /// included, since the slab never shrinks), not the spare capacity beyond them, which a
    /// growing vector reserves without touching, so it takes no memory until used.
    pub fn footprint(&self) -> u64 {
        let slots = (self.items.len() as u64).saturating_mul(std::mem::size_of::<Option<T>>() as u64);
        slots.saturating_add(self.free.len() as u64 * std::mem::size_of::<u32>() as u64)
    }

    /// Forgets every item (slot numbering starts again from 0).
    pub fn clear(&mut self) {
        self.items.clear();
        self.free.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_last_freed_first_and_fresh_ones_in_order() {
        let mut slab = Slab::new();
        assert_eq!((slab.insert('a'), slab.insert('b'), slab.insert('c')), (0, 1, 2));
        assert_eq!(slab.remove(0), Some('a'));
        assert_eq!(slab.remove(2), Some('c'));
        assert_eq!(slab.remove(2), None, "a freed slot holds nothing");
        assert_eq!(slab.len(), 1);
        assert_eq!(slab.next_slot(), 2);
        let mut probe = slab.clone();
        assert_eq!(probe.insert_with(|slot| char::from(b'0' + slot as u8)), 2);
        assert_eq!(probe.get(2), Some(&'2'), "the item is built from its own slot");
        assert_eq!(slab.insert('d'), 2, "last freed first");
        assert_eq!(slab.insert('e'), 0);
        assert_eq!(slab.insert('f'), 3, "then a fresh slot");
        assert_eq!(slab.get(2), Some(&'d'));
        *slab.get_mut(3).unwrap() = 'g';
        assert_eq!(slab.iter().map(|(_, c)| *c).collect::<String>(), "ebdg");
    }

    #[test]
    fn remove_where_frees_in_slot_order() {
        let mut slab = Slab::new();
        for n in 0..6 {
            slab.insert(n);
        }
        let mut seen = Vec::new();
        assert_eq!(slab.remove_where(|n| n % 2 == 1, |n| seen.push(n)), 3);
        assert_eq!(seen, vec![1, 3, 5]);
        assert_eq!(slab.insert(10), 5, "the highest removed slot is reused first");
        assert_eq!(slab.len(), 4);
        slab.clear();
        assert!(slab.is_empty());
        assert_eq!(slab.insert(0), 0);
    }
}
