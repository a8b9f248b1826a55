//! The lifecycle of one upload as the page sees it: its states and the legal
//! moves between them. Pure: the client's handle (`pause()`, `resume()`,
//! `abort()`) and its engine drive it; it decides what each call means.
//!
//! ```text
//! queued → hashing → uploading → completing → done
//!    ╰───────┴──────────┴── paused ⇄ (back where it was)
//! any state that is not final → failed | aborted
//! ```
//!
//! A file sent in one request is hashed and signed ahead of its turn, and
//! waits for it `queued` again: `hashing → queued → uploading`.
//!
//! `queued` is also where a started upload shows while the signer or the
//! store has asked it to wait (429, 503): see [`WaitReason`].

use serde::Serialize;

/// Where an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Waiting for its turn: created, or hashed and signed ahead of it.
    Queued,
    /// Reading and hashing the file (a single-request upload hashes first).
    Hashing,
    /// Sending bytes (a multipart upload hashes parts while it sends).
    Uploading,
    /// Paused by the caller: nothing new starts until `resume()`.
    Paused,
    /// Every byte sent; the signer and the store are confirming the object.
    Completing,
    /// Stored and verified.
    Done,
    /// Failed with an error.
    Failed,
    /// Aborted by the caller.
    Aborted,
}

impl UploadState {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Queued => "queued",
            UploadState::Hashing => "hashing",
            UploadState::Uploading => "uploading",
            UploadState::Paused => "paused",
            UploadState::Completing => "completing",
            UploadState::Done => "done",
            UploadState::Failed => "failed",
            UploadState::Aborted => "aborted",
        }
    }

    /// `done`, `failed` and `aborted` never change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            UploadState::Done | UploadState::Failed | UploadState::Aborted
        )
    }
}

/// Why an upload is `queued` after it started: the signer or the store
/// asked it to wait (HTTP 429 or 503), and it waits instead of failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// The signer's request rate limit (429).
    RateLimited,
    /// The signer's cap on open multipart uploads per user (429 to a
    /// create): it waits until one of the user's uploads ends.
    OpenUploads,
    /// The store or the signer is busy (503, S3's `SlowDown`, a store's 429).
    Busy,
}

impl WaitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::RateLimited => "rate_limited",
            WaitReason::OpenUploads => "open_uploads",
            WaitReason::Busy => "busy",
        }
    }
}

/// The state, computed from the engine's latest step, a pause, the waits
/// in progress and the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// The engine's latest step: `queued`, `hashing`, `uploading` or
    /// `completing`; a paused upload resumes into it.
    step: UploadState,
    paused: bool,
    /// Requests waiting on backpressure now (the upload is `queued` then).
    waits: u32,
    end: Option<UploadState>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Lifecycle {
    pub fn new() -> Self {
        Self {
            step: UploadState::Queued,
            paused: false,
            waits: 0,
            end: None,
        }
    }

    pub fn state(&self) -> UploadState {
        match self.end {
            Some(end) => end,
            None if self.paused => UploadState::Paused,
            None if self.waits > 0 => UploadState::Queued,
            None => self.step,
        }
    }

    pub fn is_paused(&self) -> bool {
        self.state() == UploadState::Paused
    }

    /// Whether a request is waiting on backpressure now.
    pub fn is_waiting(&self) -> bool {
        self.end.is_none() && self.waits > 0
    }

    /// The engine reached `step` (hashing, uploading, completing). While
    /// paused the state stays `paused` and `step` is where resume goes.
    /// Returns whether the visible state changed.
    pub fn step(&mut self, step: UploadState) -> bool {
        if self.end.is_some() || step == UploadState::Paused || step.is_final() {
            return false;
        }
        self.change(|l| l.step = step)
    }

    /// The caller paused. Only an upload that has not reached `completing`
    /// (or an end) can pause. Returns whether the state changed.
    pub fn pause(&mut self) -> bool {
        let can = matches!(
            self.step,
            UploadState::Queued | UploadState::Hashing | UploadState::Uploading
        );
        if self.end.is_some() || self.paused || !can {
            return false;
        }
        self.change(|l| l.paused = true)
    }

    /// The caller resumed a paused upload. Returns whether the state changed.
    pub fn resume(&mut self) -> bool {
        if self.end.is_some() || !self.paused {
            return false;
        }
        self.change(|l| l.paused = false)
    }

    /// A request starts waiting on backpressure: the upload is `queued`
    /// until every such wait ends. Returns whether the state changed.
    pub fn begin_wait(&mut self) -> bool {
        self.change(|l| l.waits += 1)
    }

    /// A wait on backpressure ended. Returns whether the state changed.
    pub fn end_wait(&mut self) -> bool {
        self.change(|l| l.waits = l.waits.saturating_sub(1))
    }

    /// The upload ended: `done`, `failed` or `aborted`. The first end wins.
    pub fn end(&mut self, end: UploadState) -> bool {
        if self.end.is_some() || !end.is_final() {
            return false;
        }
        self.change(|l| l.end = Some(end))
    }

    fn change(&mut self, f: impl FnOnce(&mut Self)) -> bool {
        let before = self.state();
        f(self);
        self.state() != before
    }
}

#[cfg(test)]
mod tests {
    use super::UploadState::*;
    use super::*;

    #[test]
    fn runs_forward() {
        let mut l = Lifecycle::new();
        assert_eq!(l.state(), Queued);
        assert!(l.step(Hashing));
        assert!(l.step(Uploading));
        assert!(!l.step(Uploading));
        assert!(l.step(Completing));
        assert!(l.end(Done));
        assert_eq!(l.state(), Done);
    }

    #[test]
    fn pause_and_resume_go_back_to_the_latest_step() {
        let mut l = Lifecycle::new();
        l.step(Hashing);
        assert!(l.pause());
        assert!(!l.pause(), "pausing twice changes nothing");
        // The engine moves on while paused (in-flight work finishing).
        assert!(!l.step(Uploading));
        assert_eq!(l.state(), Paused);
        assert!(l.resume());
        assert_eq!(l.state(), Uploading);
        assert!(!l.resume(), "resuming a running upload changes nothing");
    }

    #[test]
    fn no_pause_once_completing_or_ended() {
        for end in [Completing, Done, Failed, Aborted] {
            let mut l = Lifecycle::new();
            l.step(Uploading);
            if end == Completing {
                l.step(Completing);
            } else {
                l.end(end);
            }
            assert!(!l.pause(), "{end:?}");
            assert_eq!(l.state(), end);
        }
    }

    #[test]
    fn ends_are_final_and_the_first_wins() {
        let mut l = Lifecycle::new();
        l.step(Uploading);
        l.pause();
        assert!(l.end(Aborted));
        assert!(!l.end(Failed));
        assert!(!l.step(Uploading));
        assert!(!l.resume());
        assert_eq!(l.state(), Aborted);
        assert!(!Lifecycle::new().end(Uploading), "not an end");
    }

    #[test]
    fn waits_show_as_queued_until_the_last_ends() {
        let mut l = Lifecycle::new();
        l.step(Uploading);
        assert!(l.begin_wait());
        assert_eq!(l.state(), Queued);
        assert!(!l.begin_wait(), "a second part waiting changes nothing");
        assert!(!l.end_wait());
        assert!(l.end_wait());
        assert_eq!(l.state(), Uploading);
        // A pause shows over a wait, and a wait can be paused.
        l.begin_wait();
        assert!(l.pause());
        assert_eq!(l.state(), Paused);
        assert!(l.resume());
        assert_eq!(l.state(), Queued);
        assert!(l.end(Failed));
        assert!(!l.end_wait());
        assert_eq!(l.state(), Failed);
        assert_eq!(WaitReason::OpenUploads.as_str(), "open_uploads");
    }

    #[test]
    fn names() {
        let all = [
            Queued, Hashing, Uploading, Paused, Completing, Done, Failed, Aborted,
        ];
        let names: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "queued",
                "hashing",
                "uploading",
                "paused",
                "completing",
                "done",
                "failed",
                "aborted"
            ]
        );
        for s in all {
            assert_eq!(
                serde_json::to_string(&s).expect("serializes"),
                format!("\"{}\"", s.as_str())
            );
        }
    }
}
