//! How a run shows its [`Progress`] on standard error (standard output carries
//! the reports): a bar that redraws itself on a terminal, a few plain lines
//! (one when a phase starts, one when it ends) in a log with `--verbose`, or
//! nothing; and the `--timings` split of the diff at its first render.

use super::Timings;
use crate::progress::{Event, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// Not at all.
    Hidden,
    /// A bar redrawn in place on standard error (a terminal).
    Bar,
    /// Plain lines on standard error: one per phase start and end, never one per item.
    Lines,
}

impl Display {
    /// The bar when standard error is a terminal, unless `ci` (the `CI`
    /// variable is set) and not `verbose`; plain lines when `verbose` and
    /// standard error is not a terminal; otherwise nothing.
    pub fn choose(verbose: bool, terminal: bool, ci: bool) -> Display {
        match (terminal, verbose) {
            (true, true) => Display::Bar,
            (true, false) if !ci => Display::Bar,
            (false, true) => Display::Lines,
            _ => Display::Hidden,
        }
    }

    /// [`Display::choose`] for this process: its standard error and its `CI` variable.
    pub fn for_stderr(verbose: bool) -> Display {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
        Display::choose(verbose, std::io::stderr().is_terminal(), ci)
    }

    /// The handle that shows progress this way (`None`: [`Display::Hidden`]).
    pub fn progress(self) -> Option<Progress> {
        match self {
            Display::Hidden => None,
            Display::Bar => Some(bar()),
            Display::Lines => Some(lines()),
        }
    }
}

/// The progress of this process (`--verbose` given or not): see [`Display::for_stderr`].
pub fn stderr(verbose: bool) -> Option<Progress> {
    Display::for_stderr(verbose).progress()
}

/// A bar per phase, cleared when the phase ends (the report printed next is not
/// interleaved with it).
fn bar() -> Progress {
    let current: Mutex<Option<ProgressBar>> = Mutex::new(None);
    let style = ProgressStyle::with_template("{prefix} {pos}/{len} [{bar:30}] {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    Progress::new(move |e| {
        let Ok(mut cur) = current.lock() else {
            return;
        };
        match e {
            Event::Start { phase, total } => {
                if let Some(old) = cur.take() {
                    old.finish_and_clear();
                }
                let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                    .with_style(style.clone())
                    .with_prefix(phase);
                pb.tick();
                *cur = Some(pb);
            }
            Event::Advance => {
                if let Some(pb) = cur.as_ref() {
                    pb.inc(1);
                }
            }
            Event::Finish => {
                if let Some(pb) = cur.take() {
                    pb.finish_and_clear();
                }
            }
        }
    })
}

/// The phase under way in [`lines`].
struct Phase {
    name: &'static str,
    total: u64,
    done: u64,
    started: Instant,
}

/// `progress: rendering overlays at base (20)` when a phase starts, and
/// `progress: rendering overlays at base: 20/20 in 0.4 s` when it ends.
fn lines() -> Progress {
    let current: Mutex<Option<Phase>> = Mutex::new(None);
    Progress::new(move |e| {
        let Ok(mut cur) = current.lock() else {
            return;
        };
        match e {
            Event::Start { phase, total } => {
                eprintln!("progress: {phase} ({total})");
                *cur = Some(Phase {
                    name: phase,
                    total,
                    done: 0,
                    started: Instant::now(),
                });
            }
            Event::Advance => {
                if let Some(p) = cur.as_mut() {
                    p.done += 1;
                }
            }
            Event::Finish => {
                if let Some(p) = cur.take() {
                    let secs = p.started.elapsed().as_secs_f64();
                    eprintln!(
                        "progress: {}: {}/{} in {secs:.1} s",
                        p.name, p.done, p.total
                    );
                }
            }
        }
    })
}

/// `--timings` of the diff: when its first render started, which splits
/// "discover and closure" from "render and diff".
#[derive(Clone, Default)]
pub(crate) struct Split(Arc<Mutex<Option<Instant>>>);

impl Split {
    /// With `timings`, make `progress` also note when the first phase starts.
    pub(crate) fn watch(timings: Option<&Timings>, progress: &mut Option<Progress>) -> Split {
        let split = Split::default();
        if timings.is_none() {
            return split;
        }
        let (mark, inner) = (split.clone(), progress.take());
        *progress = Some(Progress::new(move |e| {
            if matches!(e, Event::Start { .. }) {
                if let Ok(mut at) = mark.0.lock() {
                    at.get_or_insert_with(Instant::now);
                }
            }
            if let Some(p) = &inner {
                p.send(e);
            }
        }));
        split
    }

    /// The diff's two laps: from `*t` to the first render, then to now.
    pub(crate) fn lap(&self, timings: Option<&Timings>, t: &mut Instant) {
        let first = self.0.lock().ok().and_then(|at| *at);
        let until = first.unwrap_or_else(Instant::now);
        if let Some(tm) = timings {
            if let Ok(mut v) = tm.lock() {
                v.push(("discover and closure", until.saturating_duration_since(*t)));
            }
        }
        *t = until;
        super::lap(timings, "render and diff", t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_on_a_terminal_or_when_asked() {
        use Display::*;
        assert_eq!(Display::choose(false, true, false), Bar);
        assert_eq!(Display::choose(false, true, true), Hidden, "CI, not asked");
        assert_eq!(Display::choose(true, true, true), Bar);
        assert_eq!(Display::choose(false, false, false), Hidden);
        assert_eq!(Display::choose(true, false, true), Lines);
        assert_eq!(Display::choose(true, false, false), Lines);
    }

    #[test]
    fn the_split_without_renders_still_has_both_laps() {
        let tm = Timings::default();
        let mut p = None;
        let split = Split::watch(Some(&tm), &mut p);
        assert!(p.is_some());
        let mut t = Instant::now();
        split.lap(Some(&tm), &mut t);
        let names: Vec<&str> = tm.lock().unwrap().iter().map(|x| x.0).collect();
        assert_eq!(names, ["discover and closure", "render and diff"]);
    }
}
