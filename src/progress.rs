//! Progress of a long run, as events any stage may send: a phase starts with a
//! count of items, each item done, the phase ends. Which stage sends them does
//! not matter to whoever shows them ([`crate::gate`] chooses how: a bar on a
//! terminal, plain lines, or nothing); a stage only calls [`Progress`].

use std::sync::Arc;

/// One step of a run's progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A phase starts (`"rendering overlays at base"`), with `total` items to do.
    Start {
        /// What the phase does, lowercase, e.g. `"rendering overlays at head"`.
        phase: &'static str,
        /// How many items the phase has.
        total: u64,
    },
    /// One item of the current phase is done (sent from any thread).
    Advance,
    /// The current phase is over.
    Finish,
}

/// The function a [`Progress`] calls.
pub type ProgressFn = dyn Fn(Event) + Send + Sync;

/// Where a stage reports its progress: a cheap handle, cloned into each stage's
/// options (`None` there: nobody is listening).
#[derive(Clone)]
pub struct Progress(pub Arc<ProgressFn>);

impl Progress {
    /// A handle calling `f` on every event.
    pub fn new(f: impl Fn(Event) + Send + Sync + 'static) -> Progress {
        Progress(Arc::new(f))
    }

    /// Send `e`.
    pub fn send(&self, e: Event) {
        (self.0)(e)
    }

    /// Run `phase` over `total` items: `work` gets a function to call once per
    /// item done (from any thread); the phase ends when `work` returns.
    pub fn phase<R>(
        p: Option<&Progress>,
        phase: &'static str,
        total: usize,
        work: impl FnOnce(&(dyn Fn() + Sync)) -> R,
    ) -> R {
        let Some(p) = p else {
            return work(&|| {});
        };
        p.send(Event::Start {
            phase,
            total: total as u64,
        });
        let r = work(&|| p.send(Event::Advance));
        p.send(Event::Finish);
        r
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}
