//! Byte accounting over the parts of a multipart upload: the overall count
//! never goes backwards, and a retried part's bytes are not counted twice (a
//! retry's fresh progress only counts above what that part already reported).

/// Per-part acknowledged bytes and completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartProgress {
    sizes: Vec<u64>,
    acked: Vec<u64>,
    done: Vec<bool>,
    loaded: u64,
    parts_done: u32,
}

impl MultipartProgress {
    /// One entry per part, in part order (part 1 first).
    pub fn new(part_sizes: Vec<u64>) -> Self {
        let n = part_sizes.len();
        Self {
            sizes: part_sizes,
            acked: vec![0; n],
            done: vec![false; n],
            loaded: 0,
            parts_done: 0,
        }
    }

    /// Part `number` (1-based) reports `sent` bytes in its current attempt.
    /// Returns the overall loaded bytes.
    pub fn part_sent(&mut self, number: u32, sent: u64) -> u64 {
        if let Some(i) = self.index(number) {
            let sent = sent.min(self.sizes[i]);
            if sent > self.acked[i] {
                self.loaded += sent - self.acked[i];
                self.acked[i] = sent;
            }
        }
        self.loaded
    }

    /// Part `number` is stored: all its bytes count, once.
    pub fn part_done(&mut self, number: u32) -> u64 {
        if let Some(i) = self.index(number) {
            self.part_sent(number, self.sizes[i]);
            if !self.done[i] {
                self.done[i] = true;
                self.parts_done += 1;
            }
        }
        self.loaded
    }

    pub fn loaded(&self) -> u64 {
        self.loaded
    }

    pub fn total(&self) -> u64 {
        self.sizes.iter().sum()
    }

    pub fn parts_done(&self) -> u32 {
        self.parts_done
    }

    pub fn parts_total(&self) -> u32 {
        self.sizes.len() as u32
    }

    fn index(&self, number: u32) -> Option<usize> {
        let i = usize::try_from(number.checked_sub(1)?).ok()?;
        (i < self.sizes.len()).then_some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_parts_add_up() {
        let mut p = MultipartProgress::new(vec![10, 10, 5]);
        assert_eq!(p.total(), 25);
        assert_eq!(p.part_sent(1, 4), 4);
        assert_eq!(p.part_sent(2, 6), 10);
        assert_eq!(p.part_done(3), 15);
        assert_eq!((p.parts_done(), p.parts_total()), (1, 3));
        p.part_done(1);
        p.part_done(2);
        assert_eq!((p.loaded(), p.parts_done()), (25, 3));
    }

    #[test]
    fn retries_never_go_back_nor_count_twice() {
        let mut p = MultipartProgress::new(vec![100, 100]);
        let mut seen = vec![p.part_sent(1, 60)];
        // Attempt 1 of part 1 fails at 60 bytes; attempt 2 starts from 0.
        for sent in [0, 20, 59, 60, 80, 100] {
            seen.push(p.part_sent(1, sent));
        }
        assert_eq!(seen, [60, 60, 60, 60, 60, 80, 100]);
        // A third attempt after all bytes were sent once still adds nothing.
        assert_eq!(p.part_sent(1, 30), 100);
        assert_eq!(p.part_done(1), 100);
        assert_eq!(p.part_done(1), 100);
        assert_eq!(p.parts_done(), 1);
        // Over-reports are clamped to the part's size; unknown parts ignored.
        assert_eq!(p.part_sent(2, 1_000), 200);
        assert_eq!(p.part_sent(3, 5), 200);
        assert_eq!(p.part_sent(0, 5), 200);
    }
}
