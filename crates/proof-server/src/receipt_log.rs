//! The verification log (docs/log.md): every receipt the service signs is appended, in
//! one sequence across replicas, to an RFC 6962 Merkle log in the store, before the
//! receipt is returned.
//!
//! Requests hand their drafted receipts to one task per replica, which appends whatever
//! has queued (up to `receipt_log.max_batch`) in one transaction (group commit): under the
//! lock of the store's head row it learns the entries other replicas appended, gives each
//! receipt its index, signs it, and writes the entries and the signed checkpoint of the new
//! size. Each receipt then gets its inclusion proof against that checkpoint. A checkpoint
//! is only signed over the entries the store holds, under the lock, so two checkpoints of
//! the log are always consistent, across crashes and replicas; a batch whose transaction
//! fails is refused (503), never half-returned.

use crate::config::ReceiptLogSettings;
use crate::metrics::LogMetrics;
use crate::store::{Head, NewLogEntry, Store, StoredCheckpoint};
use proof_core::lists::merkle::{self, Hash, Tree};
use proof_evidence::keys::KeySet;
use proof_evidence::note::Checkpoint;
use proof_evidence::receipt::{Draft, LogPosition};
use proof_evidence::tlog::LogProof;
use serde_json::Value;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// Receipts waiting for the log; beyond this, requests wait to enqueue.
const QUEUE: usize = 8192;

/// A receipt in the log: the envelope with its `log_proof`, and its disclosure bundle.
#[derive(Debug)]
pub struct Logged {
    /// The receipt: the DSSE envelope and `log_proof` (C2SP tlog-proof text).
    pub receipt: Value,
    /// The disclosure bundle.
    pub disclosure: Value,
}

/// Why the log could not answer.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The append transaction failed; nothing of the batch was kept.
    #[error("the verification log could not append: {0}")]
    Unavailable(String),
    /// A size or index beyond the log.
    #[error("{0}")]
    Range(String),
}

/// The tree as this replica knows it: `size` entries committed (the tree may briefly hold
/// more while a batch commits).
struct View {
    tree: Tree,
    size: u64,
}

type Reply = oneshot::Sender<Result<Logged, LogError>>;

enum Job {
    Append(Box<Draft>, Reply),
    Sync(oneshot::Sender<Result<(), LogError>>),
}

/// The verification log of one replica.
pub struct ReceiptLog {
    origin: String,
    queue: mpsc::Sender<Job>,
    view: Arc<RwLock<View>>,
}

fn hex32(h: &str) -> Result<Hash, String> {
    proof_core::lists::parse_hash(h)
}

impl ReceiptLog {
    /// Loads the log from the store and starts its append task. Refuses a store whose
    /// entries are not numbered 0, 1, 2, ..., whose latest checkpoint is of another origin,
    /// or whose entries do not give that checkpoint's root.
    ///
    /// # Errors
    /// What is wrong with the stored log.
    pub async fn open(
        store: Store,
        keys: Arc<KeySet>,
        settings: &ReceiptLogSettings,
        metrics: LogMetrics,
    ) -> Result<Arc<Self>, String> {
        let rows = store.log_leaves(0).await.map_err(|e| e.to_string())?;
        let mut leaves = Vec::with_capacity(rows.len());
        for (want, (idx, h)) in rows.iter().enumerate() {
            if *idx != want as u64 {
                return Err(format!(
                    "the verification log in the store skips from entry {} to {idx}",
                    want.saturating_sub(1)
                ));
            }
            leaves.push(hex32(h).map_err(|e| format!("log entry {idx}: {e}"))?);
        }
        let tree = Tree::from_leaf_hashes(leaves);
        if let Some(cp) = store
            .log_checkpoint(None)
            .await
            .map_err(|e| e.to_string())?
        {
            if cp.origin != settings.origin {
                return Err(format!(
                    "the verification log in the store has the origin `{}`, but `receipt_log.origin` is `{}`: a log keeps its origin",
                    cp.origin, settings.origin
                ));
            }
            if tree.root_at(cp.size).map(hex::encode) != Some(cp.root.clone()) {
                return Err(format!(
                    "the stored entries do not give the root of the stored checkpoint of size {}",
                    cp.size
                ));
            }
        }
        let size = tree.size();
        metrics.entries.set(i64::try_from(size).unwrap_or(i64::MAX));
        let view = Arc::new(RwLock::new(View { tree, size }));
        let (tx, rx) = mpsc::channel(QUEUE);
        let appender = Appender {
            store,
            keys,
            origin: settings.origin.clone(),
            max_batch: settings.max_batch,
            view: Arc::clone(&view),
            metrics,
        };
        tokio::spawn(appender.run(rx));
        Ok(Arc::new(Self {
            origin: settings.origin.clone(),
            queue: tx,
            view,
        }))
    }

    /// The log's origin.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Signs `draft` at its place in the log and returns it once the entry is durable.
    ///
    /// # Errors
    /// [`LogError::Unavailable`] when the append failed.
    pub async fn append(&self, draft: Draft) -> Result<Logged, LogError> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send(Job::Append(Box::new(draft), tx))
            .await
            .map_err(|_| LogError::Unavailable("the log's task has stopped".into()))?;
        rx.await
            .map_err(|_| LogError::Unavailable("the log's task has stopped".into()))?
    }

    /// Takes up the entries other replicas appended, when `size` is beyond what this
    /// replica knows.
    async fn reach(&self, size: u64) -> Result<(), LogError> {
        if size <= self.size() {
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        self.queue
            .send(Job::Sync(tx))
            .await
            .map_err(|_| LogError::Unavailable("the log's task has stopped".into()))?;
        rx.await
            .map_err(|_| LogError::Unavailable("the log's task has stopped".into()))??;
        if size > self.size() {
            return Err(LogError::Range(format!(
                "the log has {} entries, not {size}",
                self.size()
            )));
        }
        Ok(())
    }

    /// Entries this replica knows to be committed.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.view
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .size
    }

    /// The audit path of entry `index` in the tree of `size` entries.
    ///
    /// # Errors
    /// [`LogError::Range`] unless `index < size <= ` the log's size.
    pub async fn inclusion(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        self.reach(size).await?;
        let v = self.view.read().unwrap_or_else(PoisonError::into_inner);
        if index >= size || size > v.size {
            return Err(LogError::Range(format!(
                "no entry {index} in a tree of size {size} (the log has {})",
                v.size
            )));
        }
        v.tree
            .inclusion(index, size)
            .ok_or_else(|| LogError::Range("no such proof".into()))
    }

    /// The consistency proof from size `from` to size `to`.
    ///
    /// # Errors
    /// [`LogError::Range`] unless `from <= to <= ` the log's size.
    pub async fn consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, LogError> {
        self.reach(to).await?;
        let v = self.view.read().unwrap_or_else(PoisonError::into_inner);
        if from > to || to > v.size {
            return Err(LogError::Range(format!(
                "no consistency proof from {from} to {to} (the log has {})",
                v.size
            )));
        }
        v.tree
            .consistency(from, to)
            .ok_or_else(|| LogError::Range("no such proof".into()))
    }
}

/// The task that appends.
struct Appender {
    store: Store,
    keys: Arc<KeySet>,
    origin: String,
    max_batch: usize,
    view: Arc<RwLock<View>>,
    metrics: LogMetrics,
}

/// One committed batch: the signed receipts, their indexes, the checkpoint.
struct Committed {
    issued: Vec<(u64, proof_evidence::receipt::Issued)>,
    note: String,
    size: u64,
}

impl Appender {
    async fn run(self, mut rx: mpsc::Receiver<Job>) {
        while let Some(first) = rx.recv().await {
            let mut drafts = Vec::new();
            let mut syncs = Vec::new();
            let mut job = Some(first);
            while let Some(j) = job.take() {
                match j {
                    Job::Append(d, reply) => drafts.push((d, reply)),
                    Job::Sync(reply) => syncs.push(reply),
                }
                if drafts.len() < self.max_batch {
                    job = rx.try_recv().ok();
                }
            }
            if drafts.is_empty() {
                let r = self.sync().await;
                for s in syncs {
                    let _ = s.send(r.clone().map_err(LogError::Unavailable));
                }
                continue;
            }
            self.commit(drafts).await;
            for s in syncs {
                let _ = s.send(Ok(()));
            }
        }
    }

    fn view(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.view.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes up what other replicas appended.
    async fn sync(&self) -> Result<(), String> {
        let known = self
            .view
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .size;
        let rows = self
            .store
            .log_leaves(known)
            .await
            .map_err(|e| e.to_string())?;
        let mut v = self.view();
        for (idx, h) in rows {
            if idx != v.tree.size() {
                break;
            }
            v.tree.push(hex32(&h)?);
        }
        v.size = v.tree.size();
        self.metrics
            .entries
            .set(i64::try_from(v.size).unwrap_or(i64::MAX));
        Ok(())
    }

    /// Under the store's lock: the other replicas' entries into the tree, then this
    /// batch's receipts signed at their indexes and added, and the new checkpoint signed.
    fn build(
        &self,
        (size, missing): Head,
        drafts: Vec<Draft>,
    ) -> Result<(Vec<NewLogEntry>, StoredCheckpoint, Committed), String> {
        {
            let mut v = self.view();
            let known = v.size;
            v.tree.truncate(known);
            for h in &missing {
                v.tree.push(hex32(h)?);
            }
            if v.tree.size() != size {
                return Err(format!(
                    "the store's log has {size} entries but {} were read",
                    v.tree.size()
                ));
            }
            v.size = size;
        }
        let key = self.keys.active();
        let count = drafts.len() as u64;
        let mut entries = Vec::with_capacity(drafts.len());
        let mut issued = Vec::with_capacity(drafts.len());
        let mut leaves = Vec::with_capacity(drafts.len());
        for (k, d) in drafts.into_iter().enumerate() {
            let index = size + k as u64;
            let i = d.sign(
                key,
                Some(&LogPosition {
                    origin: self.origin.clone(),
                    index,
                }),
            );
            let leaf = merkle::leaf_hash(&i.statement);
            entries.push(NewLogEntry {
                index,
                leaf_hash: hex::encode(leaf),
                receipt: i.receipt.to_string(),
            });
            leaves.push(leaf);
            issued.push((index, i));
        }
        let root = {
            let mut v = self.view();
            for l in leaves {
                v.tree.push(l);
            }
            v.tree.root()
        };
        let new_size = size + count;
        let cp = Checkpoint {
            origin: self.origin.clone(),
            size: new_size,
            root,
        };
        let note = cp.sign(key).map_err(|e| e.to_string())?;
        let stored = StoredCheckpoint {
            size: new_size,
            origin: self.origin.clone(),
            root: hex::encode(root),
            note: note.clone(),
        };
        Ok((
            entries,
            stored,
            Committed {
                issued,
                note,
                size: new_size,
            },
        ))
    }

    async fn commit(&self, batch: Vec<(Box<Draft>, Reply)>) {
        let (drafts, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|(d, r)| (*d, r)).unzip();
        let known = self
            .view
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .size;
        let start = Instant::now();
        let outcome = self
            .store
            .log_append(known, move |head| self.build(head, drafts))
            .await;
        self.metrics
            .append_duration
            .observe(start.elapsed().as_secs_f64());
        let c = match outcome {
            Ok(c) => c,
            Err(e) => {
                self.metrics.append_failures.inc();
                tracing::error!(error = %e, receipts = replies.len(), "verification log append failed; receipts refused");
                {
                    let mut v = self.view();
                    let size = v.size;
                    v.tree.truncate(size);
                }
                for r in replies {
                    let _ = r.send(Err(LogError::Unavailable(e.to_string())));
                }
                return;
            }
        };
        self.view().size = c.size;
        self.metrics
            .entries
            .set(i64::try_from(c.size).unwrap_or(i64::MAX));
        let proofs: Vec<Vec<Hash>> = {
            let v = self.view.read().unwrap_or_else(PoisonError::into_inner);
            c.issued
                .iter()
                .map(|(index, _)| v.tree.inclusion(*index, c.size).unwrap_or_default())
                .collect()
        };
        for ((r, (index, i)), path) in replies.into_iter().zip(c.issued).zip(proofs) {
            let mut receipt = i.receipt;
            if let Value::Object(m) = &mut receipt {
                let proof = LogProof {
                    index,
                    path,
                    checkpoint: c.note.clone(),
                };
                m.insert("log_proof".into(), Value::String(proof.to_text()));
            }
            let _ = r.send(Ok(Logged {
                receipt,
                disclosure: i.disclosure,
            }));
        }
    }
}
