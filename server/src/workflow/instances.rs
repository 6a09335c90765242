//! Runs across console instances: who drives a run, and finding runs whose driver is gone
//! (the console restarted, or another instance died or lost its lease), which every instance
//! then shows as interrupted and an operator resumes or rolls back anywhere.

use super::engine::{Engine, EngineError};
use model::instance::InstanceInfo;
use model::run::{Run, RunState, StepState};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The ids of the runs this instance drives now.
pub type DrivingSet = Arc<Mutex<HashSet<String>>>;

/// While it lives, this instance drives the run: the sweep does not call it interrupted.
pub struct Driving {
    set: DrivingSet,
    run_id: String,
}

impl Drop for Driving {
    fn drop(&mut self) {
        if let Ok(mut set) = self.set.lock() {
            set.remove(&self.run_id);
        }
    }
}

impl Engine {
    /// Makes this instance the run's owner, before the write that makes it `running`.
    pub(super) fn drive_here(&self, run: &mut Run) -> Driving {
        run.owner = Some(self.store().owner());
        if let Ok(mut set) = self.driving.lock() {
            set.insert(run.id.clone());
        }
        Driving { set: Arc::clone(&self.driving), run_id: run.id.clone() }
    }

    fn drives(&self, run_id: &str) -> bool {
        self.driving.lock().is_ok_and(|set| set.contains(run_id))
    }

    /// Marks interrupted every run left `running` by a driver that is gone: an owner no
    /// longer alive in the store, or this instance when it no longer drives it (it lost its
    /// lease mid-run, or restarted). Each is a compare-and-swap, so of several instances
    /// sweeping at once one marks it. Returns how many.
    pub async fn recover(&self) -> Result<usize, EngineError> {
        let store = self.store();
        if store.may_act().is_err() {
            return Ok(0);
        }
        let running = store.runs_in_state(RunState::Running).await?;
        if running.is_empty() {
            return Ok(0);
        }
        let live = store.live_owners().await?;
        let me = store.owner();
        let mut count = 0;
        for mut run in running {
            let owner = run.owner.clone().unwrap_or_default();
            let gone = if owner == me { !self.drives(&run.id) } else { !live.contains(&owner) };
            if !gone {
                continue;
            }
            let at = run.steps.iter().position(|s| s.state == StepState::Running).or_else(|| run.steps.iter().position(|s| s.state == StepState::Pending));
            if let Some(i) = at
                && run.steps[i].state == StepState::Running
            {
                run.steps[i].state = StepState::Pending;
                run.steps[i].verification = Some("interrupted while running: it may or may not have taken effect".into());
            }
            let who = if owner.is_empty() || InstanceInfo::instance_of(&owner) == InstanceInfo::instance_of(&me) {
                "the console".to_string()
            } else {
                format!("the console instance {} that ran it", InstanceInfo::instance_of(&owner))
            };
            run.state = RunState::Interrupted;
            run.message = Some(match at {
                Some(i) => format!("{who} stopped during step {} ({}); resume or roll back", i + 1, run.steps[i].title),
                None => format!("{who} stopped after the last step; resume to verify"),
            });
            if self.transition(&mut run, RunState::Running).await.is_ok() {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Sweeps every `every` (a third of the lease TTL with etcd): a run whose instance died
    /// shows as interrupted everywhere within the TTL and a sweep.
    pub fn spawn_sweeper(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match engine.recover().await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(interrupted = n, "runs whose console instance stopped are now interrupted"),
                    Err(e) => tracing::debug!(error = %e, "interrupted runs not swept"),
                }
            }
        })
    }
}
