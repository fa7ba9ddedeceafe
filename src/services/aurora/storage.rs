//! The Aurora storage volume as bookkeeping: protection groups of six segments, which segments
//! are usable, which log records each one holds, and the quorum arithmetic built on that.
//!
//! This file holds no timing: the component (`super`) moves redo records, acks and reads
//! between the writer and the segments as messages, and calls in here when a segment persists a
//! record, fails, is repaired, or when the network changes.
//!
//! Records held: every segment keeps `held`, the highest log sequence number (LSN) of its group
//! it has persisted. Aurora segments fill holes in their log by gossip with their peers (V17 §3.3,
//! step 4), so a segment with `held ≥ L` is taken to hold every record up to `L`; a committed
//! write with LSN `L` therefore lives on the segments whose `held ≥ L`. `receiving` adds the
//! records already sent to a usable segment and still in flight (they will land unless the
//! segment fails first).

use crate::blocks::health::Health;

/// Copies of each protection group: 6 (V17 §2).
pub const SEGMENTS_PER_GROUP: usize = 6;
/// AZs holding a volume's copies: 3, two segments in each (V17 §2).
pub const STORAGE_AZS: usize = 3;
/// Acks a write needs to commit: 4 of 6 (V17 §2.1).
pub const WRITE_QUORUM: u8 = 4;
/// Segments a recovery must read: 3 of 6 (V17 §2.1); also the fewest copies of an acknowledged
/// write from which the volume can still establish it by quorum.
pub const READ_QUORUM: u8 = 3;

/// One copy of one protection group.
#[derive(Clone, Debug)]
pub struct Segment {
    /// The AZ it sits in.
    pub az: u16,
    /// Its active crash faults (overlapping faults nest) and slow factor.
    pub health: Health,
    /// A crashed segment was rebuilt elsewhere (repair) while its fault still runs.
    pub replaced: bool,
    /// Bumped whenever the segment is destroyed, so a pending repair of an earlier loss is
    /// recognised as stale.
    pub epoch: u32,
    /// Highest LSN persisted (0: none).
    pub held: u64,
    /// Highest LSN persisted or in flight to it.
    pub receiving: u64,
    /// Reads avoid it until then (it missed a read hedge), in nanoseconds of simulated time.
    pub suspect_until: u64,
    /// Usable by the writer: not destroyed, its AZ up and reachable from the writer's AZ.
    pub available: bool,
}

impl Segment {
    fn new(az: u16) -> Self {
        Segment {
            az,
            health: Health::default(),
            replaced: false,
            epoch: 0,
            held: 0,
            receiving: 0,
            suspect_until: 0,
            available: true,
        }
    }

    /// True while its copy is gone: crashed and not yet rebuilt.
    #[inline]
    pub fn destroyed(&self) -> bool {
        self.health.is_crashed() && !self.replaced
    }
}

/// One 10 GB protection group.
#[derive(Clone, Debug, Default)]
pub struct Group {
    /// Last LSN handed out to a write of this group.
    pub next_lsn: u64,
    /// Highest LSN acknowledged to a client (committed).
    pub committed: u64,
    /// Segments currently available.
    pub available: u8,
    /// A data-loss event was counted and no write has committed since.
    pub loss_latched: bool,
}

impl Group {
    /// True while 4 segments can ack a write.
    #[inline]
    pub fn writable(&self) -> bool {
        self.available >= WRITE_QUORUM
    }
}

/// What [`Storage::refresh_group`] found.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Refresh {
    /// The group had a write quorum before.
    pub was_writable: bool,
    /// It has one now.
    pub writable: bool,
    /// Bit i set: segment i of the group became available (it caught up from its peers; the
    /// writer must resend the records it has not acked).
    pub came_back: u8,
}

/// The volume: `groups.len()` protection groups, segment `i` of group `g` at index `6g + i`.
#[derive(Clone, Debug)]
pub struct Storage {
    /// All segments.
    pub segments: Vec<Segment>,
    /// All groups.
    pub groups: Vec<Group>,
    /// Groups without a write quorum.
    pub unwritable: u32,
    /// Groups without a read quorum.
    pub unreadable: u32,
    /// Segments available, over all groups.
    pub segments_available: u32,
}

impl Storage {
    /// A healthy volume of `groups` groups whose segments sit two per AZ in `azs`.
    pub fn new(groups: u32, azs: [u16; STORAGE_AZS]) -> Self {
        let segments = (0..groups as usize * SEGMENTS_PER_GROUP)
            .map(|s| Segment::new(azs[(s % SEGMENTS_PER_GROUP) / 2]))
            .collect();
        let groups = vec![Group { available: SEGMENTS_PER_GROUP as u8, ..Group::default() }; groups as usize];
        let segments_available = (groups.len() * SEGMENTS_PER_GROUP) as u32;
        Storage { segments, groups, unwritable: 0, unreadable: 0, segments_available }
    }

    /// Number of groups.
    #[inline]
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Recomputes which segments of group `pg` are available; `usable(az)` says whether a
    /// segment in `az` can be reached now. Segments that come back catch up from their
    /// available peers (gossip; instantaneous here — an assumption); segments that go away
    /// lose what was in flight to them.
    pub fn refresh_group(&mut self, pg: usize, usable: &dyn Fn(u16) -> bool) -> Refresh {
        let base = pg * SEGMENTS_PER_GROUP;
        let group = &self.groups[pg];
        let mut refresh = Refresh { was_writable: group.writable(), ..Refresh::default() };
        let was_readable = group.available >= READ_QUORUM;
        let mut available = 0u8;
        for i in 0..SEGMENTS_PER_GROUP {
            let segment = &mut self.segments[base + i];
            let now = !segment.destroyed() && usable(segment.az);
            if now != segment.available {
                if now {
                    refresh.came_back |= 1 << i;
                } else {
                    segment.receiving = segment.held;
                }
                segment.available = now;
            }
            available += u8::from(now);
        }
        if refresh.came_back != 0 {
            let peers = self.segments[base..base + SEGMENTS_PER_GROUP]
                .iter()
                .enumerate()
                .filter(|(i, s)| s.available && refresh.came_back & (1 << i) == 0)
                .map(|(_, s)| s.held)
                .max()
                .unwrap_or(0);
            for i in 0..SEGMENTS_PER_GROUP {
                if refresh.came_back & (1 << i) != 0 {
                    let segment = &mut self.segments[base + i];
                    segment.held = segment.held.max(peers);
                    segment.receiving = segment.receiving.max(segment.held);
                }
            }
        }
        let group = &mut self.groups[pg];
        self.segments_available = self.segments_available + u32::from(available) - u32::from(group.available);
        group.available = available;
        refresh.writable = group.writable();
        match (refresh.was_writable, refresh.writable) {
            (true, false) => self.unwritable += 1,
            (false, true) => self.unwritable -= 1,
            _ => {}
        }
        match (was_readable, available >= READ_QUORUM) {
            (true, false) => self.unreadable += 1,
            (false, true) => self.unreadable -= 1,
            _ => {}
        }
        refresh
    }

    /// Copies of group `pg`'s latest acknowledged write that survive: segments not destroyed
    /// that hold it (or, if available, have it in flight). `u8::MAX` before the first commit.
    pub fn copies_of_committed(&self, pg: usize) -> u8 {
        let committed = self.groups[pg].committed;
        if committed == 0 {
            return u8::MAX;
        }
        self.segments[pg * SEGMENTS_PER_GROUP..(pg + 1) * SEGMENTS_PER_GROUP]
            .iter()
            .filter(|s| !s.destroyed())
            .filter(|s| if s.available { s.held.max(s.receiving) } else { s.held } >= committed)
            .count() as u8
    }

    /// Marks segment `s` destroyed by a crash: its copy is gone. Returns true if this drops
    /// the copies of its group's latest acknowledged write below the read quorum for the
    /// first time since the last commit (a data-loss event).
    pub fn destroy(&mut self, s: usize) -> bool {
        let segment = &mut self.segments[s];
        segment.health.crash(true);
        segment.replaced = false;
        segment.epoch = segment.epoch.wrapping_add(1);
        segment.held = 0;
        segment.receiving = 0;
        let pg = s / SEGMENTS_PER_GROUP;
        if !self.groups[pg].loss_latched && self.copies_of_committed(pg) < READ_QUORUM {
            self.groups[pg].loss_latched = true;
            return true;
        }
        false
    }

    /// A crash fault on segment `s` ended; when the last one ends, the segment no longer
    /// counts as rebuilt elsewhere (it is simply back).
    pub fn crash_ended(&mut self, s: usize) {
        let segment = &mut self.segments[s];
        if !segment.health.crash(false) {
            segment.replaced = false;
        }
    }

    /// The segment of group `pg` a reader in `reader_az` should try next for a record at
    /// least as new as the group's latest commit: not yet tried (`tried` bit mask), up to
    /// date and not destroyed; not suspected (slow) before suspected, same AZ before other
    /// AZs, then rotated by `key` so readers spread over equal choices (V18 §3.1: read one
    /// up-to-date segment, the nearest, and go elsewhere if it is slow).
    pub fn pick_read(&self, pg: usize, reader_az: u16, tried: u8, key: u64, now_nanos: u64) -> Option<u8> {
        let committed = self.groups[pg].committed;
        let base = pg * SEGMENTS_PER_GROUP;
        let rotation = (key % SEGMENTS_PER_GROUP as u64) as usize;
        (0..SEGMENTS_PER_GROUP)
            .filter(|&i| tried & (1 << i) == 0)
            .filter(|&i| {
                let s = &self.segments[base + i];
                !s.destroyed() && s.held >= committed
            })
            .min_by_key(|&i| {
                let s = &self.segments[base + i];
                (
                    s.suspect_until > now_nanos,
                    s.az != reader_az,
                    (i + SEGMENTS_PER_GROUP - rotation) % SEGMENTS_PER_GROUP,
                )
            })
            .map(|i| i as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_up(_: u16) -> bool {
        true
    }

    #[test]
    fn two_segments_per_az() {
        let storage = Storage::new(2, [4, 5, 6]);
        let azs: Vec<u16> = storage.segments.iter().map(|s| s.az).collect();
        assert_eq!(azs, vec![4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6]);
        assert_eq!(storage.segments_available, 12);
    }

    #[test]
    fn az_outage_keeps_write_quorum_one_more_loses_it() {
        let mut storage = Storage::new(1, [0, 1, 2]);
        let az_c_down = |az: u16| az != 2;
        let r = storage.refresh_group(0, &az_c_down);
        assert!(r.was_writable && r.writable, "4 of 6 left");
        assert_eq!(storage.unwritable, 0);
        storage.destroy(0);
        let r = storage.refresh_group(0, &az_c_down);
        assert!(r.was_writable && !r.writable, "3 of 6 left");
        assert_eq!((storage.unwritable, storage.unreadable), (1, 0), "the read quorum remains");
        // The AZ comes back: its two segments catch up and the group is writable again.
        let r = storage.refresh_group(0, &all_up);
        assert!(r.writable);
        assert_eq!(r.came_back, 0b110000);
        assert_eq!(storage.unwritable, 0);
    }

    #[test]
    fn data_loss_needs_fewer_than_three_copies() {
        let mut storage = Storage::new(1, [0, 1, 2]);
        storage.groups[0].committed = 10;
        // The write reached exactly four segments; two more have it in flight.
        for (i, segment) in storage.segments.iter_mut().enumerate() {
            segment.held = if i < 4 { 10 } else { 9 };
            segment.receiving = 10;
        }
        assert_eq!(storage.copies_of_committed(0), 6, "in-flight copies count");
        assert!(!storage.destroy(0));
        assert!(!storage.destroy(1));
        assert!(!storage.destroy(2), "3 copies remain: the AZ + 1 case");
        assert!(storage.destroy(3), "2 copies: no read quorum holds it");
        assert!(!storage.destroy(4), "latched until the next commit");
    }

    #[test]
    fn reads_prefer_the_nearest_up_to_date_segment() {
        let mut storage = Storage::new(1, [0, 1, 2]);
        storage.groups[0].committed = 5;
        for segment in &mut storage.segments {
            segment.held = 5;
        }
        assert_eq!(storage.pick_read(0, 1, 0, 0, 0), Some(2));
        assert_eq!(storage.pick_read(0, 1, 0, 3, 0), Some(3), "rotation by key");
        assert_eq!(storage.pick_read(0, 1, 0b1100, 0, 0), Some(0), "tried ones are skipped");
        storage.segments[2].held = 4;
        assert_eq!(storage.pick_read(0, 1, 0, 0, 0), Some(3), "stale segments are skipped");
        storage.segments[3].suspect_until = 100;
        assert_eq!(storage.pick_read(0, 1, 0, 0, 50), Some(0), "suspected ones go last");
        assert_eq!(storage.pick_read(0, 1, 0b110111, 0, 50), Some(3), "but are still tried");
        assert_eq!(storage.pick_read(0, 1, 0b111011, 0, 50), None);
    }
}
