//! Argon2 behind a few slots.
//!
//! Each password check takes about 19 MiB and tens of milliseconds of one
//! core. Run one per request on the blocking pool and 200 parallel sign-ins
//! with made-up emails take the server to gigabytes (up to 512 blocking
//! threads, each holding its hash's memory afterwards). So checks run on a
//! few threads of their own, one per core: the allocator keeps at most one
//! hash's memory per thread, and the blocking pool's churn of new threads
//! (each with a fresh arena) never sees argon2. A sign-in that cannot get a
//! slot within [`MAX_WAIT`] is answered "busy, retry" instead of queueing
//! without end.

use crate::secrets::verify_password_in;
use argon2::Block;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot};

/// How long a sign-in waits for a free slot before it is told to retry.
pub const MAX_WAIT: Duration = Duration::from_secs(2);

/// No hashing slot came free in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking other sign-ins; retry in a second")]
pub struct Busy;

/// A password check for one of the hashing threads, given that thread's
/// argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

#[derive(Debug)]
pub struct HashingSlots {
    /// As many permits as threads: holding one means a thread is free for us.
    slots: Semaphore,
    max_wait: Duration,
    /// The threads' queue; dropping it (the server stopped) ends them.
    jobs: mpsc::Sender<Job>,
}

impl HashingSlots {
    /// One slot per core this process may use.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(cores, MAX_WAIT)
    }

    pub fn new(threads: usize, max_wait: Duration) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("ringback-argon2-{n}"))
                .spawn(move || {
                    // Allocated once per thread and reused by every check.
                    let mut memory = Vec::new();
                    loop {
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match next {
                            Ok(job) => job(&mut memory),
                            Err(mpsc::RecvError) => return,
                        }
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "a password-hashing thread could not start");
            }
        }
        Self {
            slots: Semaphore::new(threads),
            max_wait,
            jobs,
        }
    }

    /// Checks `password` against `stored` (see [`verify_password_in`]) once a
    /// slot is free.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, Busy> {
        let _slot = tokio::time::timeout(self.max_wait, self.slots.acquire())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = done.send(verify_password_in(&password, stored.as_deref(), memory));
        });
        if self.jobs.send(job).is_err() {
            return Err(Busy);
        }
        // No answer means the check panicked (or no thread runs): never a pass.
        Ok(result.await.unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::hash_password;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_check_that_cannot_get_a_slot_in_time_is_busy() {
        let hash = hash_password("pw").expect("hash");
        let slots = Arc::new(HashingSlots::new(1, Duration::from_millis(1)));
        let held = slots.slots.acquire().await.expect("a slot");
        assert_eq!(
            slots.verify("pw".into(), Some(hash.clone())).await,
            Err(Busy)
        );
        drop(held);
        assert_eq!(slots.verify("pw".into(), Some(hash)).await, Ok(true));
    }
}
