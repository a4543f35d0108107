//! The gate threads' intake: one queue per comune, served in turn, so that
//! a station flooding the server (within its quota, or with messages that
//! are refused only after the gate, such as replays) holds at most one turn
//! in each round while another comune's request waits: it is taken at the
//! next turn, not behind the whole flood.
//!
//! A crossbeam channel carries one token per queued item, so that the gate
//! threads can `select!` between new work and the answers they must sign;
//! the token says "there is an item", the queue decides whose.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crossbeam_channel::{Receiver, Sender};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct FairQueue<T> {
    state: Mutex<State<T>>,
    bell: Sender<()>,
}

struct State<T> {
    queues: HashMap<String, VecDeque<T>>,
    /// Keys with queued items, in the order they get their next turn.
    turn: VecDeque<String>,
}

impl<T> FairQueue<T> {
    /// The queue and the receiver of its tokens (one per queued item; it
    /// disconnects when the queue is dropped).
    pub fn new() -> (FairQueue<T>, Receiver<()>) {
        let (bell, tokens) = crossbeam_channel::unbounded();
        (
            FairQueue {
                state: Mutex::new(State {
                    queues: HashMap::new(),
                    turn: VecDeque::new(),
                }),
                bell,
            },
            tokens,
        )
    }

    /// Queues `item` under `key` (a comune).
    pub fn push(&self, key: &str, item: T) {
        {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            match s.queues.get_mut(key) {
                Some(q) => q.push_back(item),
                None => {
                    // A key gets its turn when its queue is created, and
                    // loses both when the queue empties (`pop`).
                    s.queues.insert(key.to_string(), VecDeque::from([item]));
                    s.turn.push_back(key.to_string());
                }
            }
        }
        // The receivers live as long as the gate threads; when they are gone
        // the item is dropped with the queue, and its caller sees the reply
        // channel closed.
        let _ = self.bell.send(());
    }

    /// The next item, taking keys in turn; None only when nothing is queued
    /// (a caller that received a token always gets one).
    pub fn pop(&self) -> Option<T> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let key = s.turn.pop_front()?;
        let q = s.queues.get_mut(&key)?;
        let item = q.pop_front();
        if q.is_empty() {
            s.queues.remove(&key);
        } else {
            s.turn.push_back(key);
        }
        item
    }

    /// Items queued per key.
    #[cfg(test)]
    pub fn depth(&self, key: &str) -> usize {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.queues.get(key).map_or(0, VecDeque::len)
    }
}

/// At most `per_key` requests of one station inside the pipeline (gate,
/// database, signing) at a time; the others wait at the HTTP layer, which
/// holds nothing but their (capped) bodies. So a station's flood keeps at
/// most that many items in every queue another comune's request may wait in.
pub struct InFlight {
    per_key: usize,
    keys: Mutex<HashMap<String, std::sync::Arc<Semaphore>>>,
}

impl InFlight {
    pub fn new(per_key: usize) -> InFlight {
        InFlight {
            per_key: per_key.max(1),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for one of `key`'s slots.
    pub async fn enter(&self, key: &str) -> OwnedSemaphorePermit {
        let sem = {
            let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
            // Forget idle stations now and then, so the map stays small.
            if keys.len() > 10_000 {
                keys.retain(|_, s| s.available_permits() < self.per_key);
            }
            keys.entry(key.to_string())
                .or_insert_with(|| std::sync::Arc::new(Semaphore::new(self.per_key)))
                .clone()
        };
        sem.acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comuni_are_served_in_turn() {
        let (q, tokens) = FairQueue::new();
        for i in 1..=3 {
            q.push("roma", format!("R{i}"));
        }
        q.push("milano", "M1".to_string());
        q.push("aosta", "A1".to_string());
        q.push("milano", "M2".to_string());
        let order: Vec<String> = (0..6)
            .map(|_| {
                tokens.recv().unwrap();
                q.pop().unwrap()
            })
            .collect();
        assert_eq!(order, ["R1", "M1", "A1", "R2", "M2", "R3"]);
        assert!(q.pop().is_none() && tokens.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_station_holds_at_most_its_slots() {
        let f = InFlight::new(2);
        let a = f.enter("roma").await;
        let _b = f.enter("roma").await;
        // A third Roma request waits; Milano does not.
        let third =
            tokio::time::timeout(std::time::Duration::from_millis(50), f.enter("roma")).await;
        assert!(third.is_err(), "roma's third request waits");
        let _m = tokio::time::timeout(std::time::Duration::from_millis(50), f.enter("milano"))
            .await
            .expect("milano has its own slots");
        drop(a);
        let _c = tokio::time::timeout(std::time::Duration::from_millis(50), f.enter("roma"))
            .await
            .expect("a slot freed is taken");
    }

    #[test]
    fn a_flood_holds_one_turn_per_round() {
        let (q, _tokens) = FairQueue::new();
        for i in 0..10_000 {
            q.push("flood", i);
        }
        q.push("light", -1);
        assert_eq!(q.pop(), Some(0));
        assert_eq!(q.pop(), Some(-1), "the light comune's request is next");
        assert_eq!(q.depth("flood"), 9_999);
        assert_eq!(q.depth("light"), 0);
    }
}
