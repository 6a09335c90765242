//! Scheduled DR drills (`[[drills]]`, each off unless `enabled`): at each time its cron
//! schedule names (UTC), a planned drill is planned and started like an operator's, and is
//! refused, with the blocking preconditions in the audit log, unless every precondition of
//! the switchover holds. Unplanned drills discard data and need a second operator: they
//! cannot be scheduled.

use super::engine::{Actor, Engine, EngineError};
use chrono::{DateTime, Utc};
use croner::Cron;
use model::plan::Intent;
use serde::Deserialize;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A five-field cron expression (minute hour day-of-month month day-of-week), read at load.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    text: String,
    cron: Cron,
}

impl TryFrom<String> for CronSchedule {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let cron = Cron::from_str(&text).map_err(|e| format!("schedule {text:?} is not a cron expression (minute hour day month weekday): {e}"))?;
        Ok(CronSchedule { text, cron })
    }
}

impl<'de> Deserialize<'de> for CronSchedule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CronSchedule::try_from(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl CronSchedule {
    /// Whether the schedule names a time in `(after, until]`.
    pub fn due_between(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> bool {
        self.cron.find_next_occurrence(&after, false).is_ok_and(|next| next <= until)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// `[[drills]]`: a planned drill of `qmgr` to `to_region` on `schedule`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillSchedule {
    pub qmgr: String,
    pub to_region: String,
    #[serde(default = "default_messages")]
    pub messages: u32,
    /// In UTC, e.g. `"0 3 * * SUN"`.
    pub schedule: CronSchedule,
    /// Off by default: a drill moves a production queue manager.
    #[serde(default)]
    pub enabled: bool,
    /// Switch back to where it was after the ledger is got (on unless `false`: nobody is
    /// there to decide on a Sunday at three).
    #[serde(default = "default_switch_back")]
    pub switch_back: bool,
}

fn default_switch_back() -> bool {
    true
}

fn default_messages() -> u32 {
    50
}

/// What a due drill came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheduled {
    Started { qmgr: String, run_id: String },
    Refused { qmgr: String, why: String },
}

/// Starts the enabled drills due in `(after, until]`.
pub async fn run_due(engine: &Arc<Engine>, drills: &[DrillSchedule], after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Scheduled> {
    let actor = Actor { user: "scheduler".into(), source: "console".into(), operator: true };
    let mut out = Vec::new();
    for drill in drills.iter().filter(|d| d.enabled && d.schedule.due_between(after, until)) {
        let intent = Intent::DrDrill { qmgr: drill.qmgr.clone(), to_region: drill.to_region.clone(), messages: drill.messages, unplanned: false, switch_back: drill.switch_back };
        let outcome = match engine.start_unattended(intent, &actor, &format!("scheduled drill ({})", drill.schedule.as_str())).await {
            Ok(run_id) => Scheduled::Started { qmgr: drill.qmgr.clone(), run_id },
            Err(EngineError::Blocked(why)) => Scheduled::Refused { qmgr: drill.qmgr.clone(), why },
            Err(e) => Scheduled::Refused { qmgr: drill.qmgr.clone(), why: e.to_string() },
        };
        tracing::info!(?outcome, "scheduled drill");
        out.push(outcome);
    }
    out
}

/// Checks the schedules every `every` for as long as the process lives.
pub fn spawn(engine: Arc<Engine>, drills: Vec<DrillSchedule>, every: Duration) -> Option<tokio::task::JoinHandle<()>> {
    if !drills.iter().any(|d| d.enabled) {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut after = Utc::now();
        loop {
            tokio::time::sleep(every).await;
            let until = Utc::now();
            // One instance (the elected one) starts scheduled drills; the others only keep time.
            if engine.store().leads() {
                run_due(&engine, &drills, after, until).await;
            }
            after = until;
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_schedule_is_due_once_between_two_ticks() {
        let sunday_3am = CronSchedule::try_from("0 3 * * SUN".to_string()).unwrap();
        let at = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
        // 2026-12-06 is a Sunday.
        assert!(sunday_3am.due_between(at(6, 2, 59), at(6, 3, 0)));
        assert!(!sunday_3am.due_between(at(6, 3, 0), at(6, 3, 1)), "not again at the next tick");
        assert!(!sunday_3am.due_between(at(5, 3, 0), at(5, 23, 0)), "not on Saturday");
    }

    #[test]
    fn a_bad_schedule_says_what_and_where() {
        let e = CronSchedule::try_from("every sunday".to_string()).unwrap_err();
        assert!(e.starts_with("schedule \"every sunday\" is not a cron expression"), "{e}");
    }
}
