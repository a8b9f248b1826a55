//! The lifecycle of one upload as the page sees it: its states and the legal
//! moves between them. Pure: the client's handle (`pause()`, `resume()`,
//! `abort()`) and its engine drive it; it decides what each call means.
//!
//! ```text
//! queued → hashing → uploading → completing → done
//!    ╰───────┴──────────┴── paused ⇄ (back where it was)
//! any state that is not final → failed | aborted
//! ```

use serde::Serialize;

/// Where an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Created, nothing done yet.
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

/// The state, and where a paused upload goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    state: UploadState,
    /// While paused: the state to resume into (the engine's latest step).
    resume_to: Option<UploadState>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Lifecycle {
    pub fn new() -> Self {
        Self {
            state: UploadState::Queued,
            resume_to: None,
        }
    }

    pub fn state(&self) -> UploadState {
        self.state
    }

    pub fn is_paused(&self) -> bool {
        self.state == UploadState::Paused
    }

    /// The engine reached `step` (hashing, uploading, completing). While
    /// paused the state stays `paused` and `step` is where resume goes.
    /// Returns whether the visible state changed.
    pub fn step(&mut self, step: UploadState) -> bool {
        if self.state.is_final() || step == UploadState::Paused || step.is_final() {
            return false;
        }
        if self.state == UploadState::Paused {
            self.resume_to = Some(step);
            return false;
        }
        let changed = self.state != step;
        self.state = step;
        changed
    }

    /// The caller paused. Only an upload that has not reached `completing`
    /// (or an end) can pause. Returns whether the state changed.
    pub fn pause(&mut self) -> bool {
        match self.state {
            UploadState::Queued | UploadState::Hashing | UploadState::Uploading => {
                self.resume_to = Some(self.state);
                self.state = UploadState::Paused;
                true
            }
            _ => false,
        }
    }

    /// The caller resumed a paused upload. Returns whether the state changed.
    pub fn resume(&mut self) -> bool {
        if self.state != UploadState::Paused {
            return false;
        }
        self.state = self.resume_to.take().unwrap_or(UploadState::Queued);
        true
    }

    /// The upload ended: `done`, `failed` or `aborted`. The first end wins.
    pub fn end(&mut self, end: UploadState) -> bool {
        if self.state.is_final() || !end.is_final() {
            return false;
        }
        self.state = end;
        self.resume_to = None;
        true
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
