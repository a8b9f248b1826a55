//! Splitting an object into multipart parts within S3's limits.

use crate::s3::limits::{MAX_OBJECT_SIZE, MAX_PARTS, MAX_PART_SIZE, MIB, MIN_PART_SIZE};

/// The default part size the client asks for.
pub const DEFAULT_PART_SIZE: u64 = 8 * MIB;
/// Files above this size go multipart by default.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 16 * MIB;

/// How an object of `size` bytes is cut: every part `part_size` bytes but the
/// last, which holds the rest (at least 1 byte, unless the object is empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    size: u64,
    part_size: u64,
    part_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{size} bytes is more than S3's largest object ({MAX_OBJECT_SIZE} bytes)")]
    TooLarge { size: u64 },
    #[error(
        "part size {part_size} is outside S3's limits ({MIN_PART_SIZE}..={MAX_PART_SIZE} bytes)"
    )]
    PartSize { part_size: u64 },
    #[error("part {number} does not exist (the plan has {count} parts)")]
    NoSuchPart { number: u32, count: u32 },
}

impl PartPlan {
    /// Plans `size` bytes with parts of `wanted` bytes (clamped to 5 MiB..5 GiB),
    /// grown as needed so there are at most 10,000 parts. An empty object is
    /// one empty part.
    pub fn new(size: u64, wanted: u64) -> Result<Self, PlanError> {
        if size > MAX_OBJECT_SIZE {
            return Err(PlanError::TooLarge { size });
        }
        let floor = size.div_ceil(MAX_PARTS).max(MIN_PART_SIZE);
        let part_size = wanted.clamp(MIN_PART_SIZE, MAX_PART_SIZE).max(floor);
        Self::exact(size, part_size)
    }

    /// Plans with exactly `part_size`, refusing one outside S3's limits or one
    /// that would need more than 10,000 parts (the signer's check of a plan it
    /// agreed before).
    pub fn exact(size: u64, part_size: u64) -> Result<Self, PlanError> {
        if size > MAX_OBJECT_SIZE {
            return Err(PlanError::TooLarge { size });
        }
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
            return Err(PlanError::PartSize { part_size });
        }
        let count = size.div_ceil(part_size).max(1);
        if count > MAX_PARTS {
            return Err(PlanError::PartSize { part_size });
        }
        Ok(Self {
            size,
            part_size,
            part_count: count as u32,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn part_size(&self) -> u64 {
        self.part_size
    }

    pub fn part_count(&self) -> u32 {
        self.part_count
    }

    /// Byte range `[start, end)` of part `number` (1-based).
    pub fn range(&self, number: u32) -> Result<(u64, u64), PlanError> {
        if number == 0 || number > self.part_count {
            return Err(PlanError::NoSuchPart {
                number,
                count: self.part_count,
            });
        }
        let start = u64::from(number - 1) * self.part_size;
        Ok((start, (start + self.part_size).min(self.size)))
    }

    /// Size of part `number` (1-based).
    pub fn part_len(&self, number: u32) -> Result<u64, PlanError> {
        self.range(number).map(|(s, e)| e - s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::limits::{GIB, MAX_OBJECT_SIZE};

    fn plan(size: u64, wanted: u64) -> PartPlan {
        PartPlan::new(size, wanted).expect("plannable")
    }

    fn assert_covers(p: &PartPlan) {
        let mut next = 0;
        for n in 1..=p.part_count() {
            let (s, e) = p.range(n).expect("in range");
            assert_eq!(s, next);
            assert!(e > s || p.size() == 0);
            if n < p.part_count() {
                assert_eq!(e - s, p.part_size());
            }
            next = e;
        }
        assert_eq!(next, p.size());
        assert!(u64::from(p.part_count()) <= MAX_PARTS);
        assert!((MIN_PART_SIZE..=MAX_PART_SIZE).contains(&p.part_size()));
    }

    #[test]
    fn edges() {
        let five = 5 * MIB;
        let cases: &[(u64, u64, u64, u32)] = &[
            // (size, wanted, part_size, part_count)
            (0, DEFAULT_PART_SIZE, DEFAULT_PART_SIZE, 1),
            (1, DEFAULT_PART_SIZE, DEFAULT_PART_SIZE, 1),
            (five, five, five, 1),
            (five + 1, five, five, 2),
            (64 * MIB, five, five, 13),
            (10_000 * five, five, five, 10_000),
            // One byte more than 10,000 × 5 MiB: the part size grows.
            (10_000 * five + 1, five, five + 1, 10_000),
            // The largest object: 10,000 parts of about 524 MiB.
            (
                MAX_OBJECT_SIZE,
                DEFAULT_PART_SIZE,
                MAX_OBJECT_SIZE.div_ceil(10_000),
                10_000,
            ),
            // Requests outside the limits are clamped.
            (100 * MIB, 1, five, 20),
            (20 * GIB, 6 * GIB, 5 * GIB, 4),
        ];
        for &(size, wanted, part_size, count) in cases {
            let p = plan(size, wanted);
            assert_eq!(
                (p.part_size(), p.part_count()),
                (part_size, count),
                "{size}"
            );
            assert_covers(&p);
        }
        assert_eq!(plan(five + 1, five).part_len(2), Ok(1));
        assert_eq!(plan(0, five).part_len(1), Ok(0));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            PartPlan::new(MAX_OBJECT_SIZE + 1, DEFAULT_PART_SIZE),
            Err(PlanError::TooLarge {
                size: MAX_OBJECT_SIZE + 1
            })
        );
        assert!(PartPlan::exact(100 * MIB, MIB).is_err());
        assert!(PartPlan::exact(10_000 * 5 * MIB + 1, 5 * MIB).is_err());
        let p = plan(10 * MIB, 5 * MIB);
        assert_eq!(
            p.range(3),
            Err(PlanError::NoSuchPart {
                number: 3,
                count: 2
            })
        );
        assert!(p.range(0).is_err());
    }
}
