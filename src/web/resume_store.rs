//! Unfinished multipart uploads saved in IndexedDB, so that choosing the same
//! file again after a reload or a crash resumes instead of starting over.
//!
//! IndexedDB through `rexie` (a maintained futures wrapper over the `idb`
//! crate): hand-written web-sys IndexedDB code is mostly event plumbing that
//! rexie already owns and tests. Storage is best effort: where IndexedDB is
//! missing or refuses (Node, some private modes, a full quota), uploads work
//! all the same, they just cannot resume; a failed write is logged, never
//! fatal.

use presign_core::upload::resume_state::ResumeRecord;
use rexie::{ObjectStore, Rexie, TransactionMode};
use serde::Serialize;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use wasm_bindgen::JsValue;

const DATABASE: &str = "presigned-upload";
const STORE: &str = "uploads";

/// The saved uploads of this origin.
pub struct ResumeStore {
    db: Rc<Rexie>,
}

thread_local! {
    /// The page's one connection to the database. Rexie never closes a
    /// connection; with one per call, WebKit sometimes missed a saved
    /// upload when a listing and an upload's lookup ran at once.
    static OPENED: RefCell<Option<Rc<Rexie>>> = const { RefCell::new(None) };
}

impl fmt::Debug for ResumeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResumeStore").finish_non_exhaustive()
    }
}

fn warn(what: &str, error: impl fmt::Display) {
    web_sys::console::warn_1(&format!("presigned-upload: resume state: {what}: {error}").into());
}

impl ResumeStore {
    /// Opens (or creates) the database; `None` where IndexedDB is unavailable.
    pub async fn open() -> Option<Self> {
        if let Some(db) = OPENED.with(|opened| opened.borrow().clone()) {
            return Some(Self { db });
        }
        let has_idb = js_sys::Reflect::get(&js_sys::global(), &"indexedDB".into())
            .is_ok_and(|v| !v.is_undefined() && !v.is_null());
        if !has_idb {
            return None;
        }
        let built = Rexie::builder(DATABASE)
            .version(1)
            .add_object_store(ObjectStore::new(STORE).key_path("id"))
            .build()
            .await;
        match built {
            Ok(db) => {
                // Two opened at once: the first kept is the one shared.
                let db =
                    OPENED.with(|opened| Rc::clone(opened.borrow_mut().get_or_insert(Rc::new(db))));
                Some(Self { db })
            }
            Err(e) => {
                warn("IndexedDB refused", e);
                None
            }
        }
    }

    /// The record saved under `id`, if any (and readable).
    pub async fn get(&self, id: &str) -> Option<ResumeRecord> {
        let found = async {
            let tx = self.db.transaction(&[STORE], TransactionMode::ReadOnly)?;
            let value = tx.store(STORE)?.get(JsValue::from_str(id)).await?;
            Ok::<_, rexie::Error>(value)
        }
        .await;
        match found {
            Ok(Some(value)) => serde_wasm_bindgen::from_value(value)
                .map_err(|e| warn("unreadable record", e))
                .ok(),
            Ok(None) => None,
            Err(e) => {
                warn("read failed", e);
                None
            }
        }
    }

    /// Saves `record` (replacing the one with its id).
    pub async fn put(&self, record: &ResumeRecord) {
        let value = match record.serialize(&serde_wasm_bindgen::Serializer::json_compatible()) {
            Ok(value) => value,
            Err(e) => return warn("could not encode", e),
        };
        let written = async {
            let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite)?;
            tx.store(STORE)?.put(&value, None).await?;
            tx.done().await?;
            Ok::<_, rexie::Error>(())
        }
        .await;
        if let Err(e) = written {
            warn("write failed", e);
        }
    }

    /// Forgets the upload saved under `id`.
    pub async fn delete(&self, id: &str) {
        let deleted = async {
            let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite)?;
            tx.store(STORE)?.delete(JsValue::from_str(id)).await?;
            tx.done().await?;
            Ok::<_, rexie::Error>(())
        }
        .await;
        if let Err(e) = deleted {
            warn("delete failed", e);
        }
    }

    /// Forgets every record older than `max_age_ms`.
    pub async fn prune(&self, now_ms: f64, max_age_ms: f64) {
        self.forget_where(|r| r.is_expired(now_ms, max_age_ms))
            .await;
    }

    /// Forgets every record of `scope`; returns how many there were.
    pub async fn forget_scope(&self, scope: &str) -> u32 {
        self.forget_where(|r| r.scope == scope).await
    }

    /// Every readable record.
    pub async fn records(&self) -> Vec<ResumeRecord> {
        self.values()
            .await
            .into_iter()
            .filter_map(|value| serde_wasm_bindgen::from_value(value).ok())
            .collect()
    }

    /// Every stored value, readable or not (empty when the read fails).
    async fn values(&self) -> Vec<JsValue> {
        let all = async {
            let tx = self.db.transaction(&[STORE], TransactionMode::ReadOnly)?;
            let values = tx.store(STORE)?.get_all(None, None).await?;
            Ok::<_, rexie::Error>(values)
        }
        .await;
        all.unwrap_or_else(|e| {
            warn("read failed", e);
            Vec::new()
        })
    }

    /// Forgets the records `doomed` picks, and any unreadable one (an older
    /// format, dropped by its key); returns how many went.
    async fn forget_where(&self, doomed: impl Fn(&ResumeRecord) -> bool) -> u32 {
        let values = self.values().await;
        let mut forgotten = 0;
        for value in values {
            let record = serde_wasm_bindgen::from_value::<ResumeRecord>(value.clone());
            let id = match record {
                Ok(r) if doomed(&r) => Some(r.id),
                Ok(_) => None,
                Err(_) => js_sys::Reflect::get(&value, &"id".into())
                    .ok()
                    .and_then(|id| id.as_string()),
            };
            if let Some(id) = id {
                self.delete(&id).await;
                forgotten += 1;
            }
        }
        forgotten
    }
}
