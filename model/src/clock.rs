//! Host clocks: each refresh reads `date -u +%s` on every host between the moment the console
//! sent its commands and the moment the answers came back. A clock outside that window by more
//! than [`SKEW_TOLERANCE_MS`] is off: Pacemaker's failure times, certificate validity and every
//! log an operator correlates during an outage then disagree with the console's.

use crate::finding_code::FindingCode;
use crate::estate::{Evidence, Finding, Severity};
use crate::probe::{HostReport, Probe};

/// How far a host's clock may be from the console's before it is a finding. Whole seconds are
/// read, so anything under a second or two is noise.
pub const SKEW_TOLERANCE_MS: i64 = 5_000;

/// How far the host's clock was from the console's in its newest fresh answer (positive: ahead),
/// or None when it was within the window, stale, or unreadable.
pub fn skew_ms(report: &HostReport) -> Option<i64> {
    if report.error.is_some() {
        return None;
    }
    let observed = report.data.as_ref()?;
    let result = report.result(&Probe::Clock)?;
    if result.exit_code != Some(0) {
        return None;
    }
    let host_ms = result.output.trim().parse::<i64>().ok()?.checked_mul(1000)?;
    let started = observed.started_ms as i64;
    let ended = observed.at_ms as i64;
    // `%s` truncates: the host's true time lies within the second after the one it printed.
    let skew = if host_ms + 1000 < started {
        host_ms + 1000 - started
    } else if host_ms > ended {
        host_ms - ended
    } else {
        0
    };
    (skew.abs() > SKEW_TOLERANCE_MS).then_some(skew)
}

/// One warning per host whose clock is off.
pub fn clock_findings(reports: &[HostReport], out: &mut Vec<Finding>) {
    for report in reports {
        let Some(skew) = skew_ms(report) else { continue };
        let secs = skew.abs() / 1000;
        let direction = if skew > 0 { "ahead of" } else { "behind" };
        let line = report.result(&Probe::Clock).map(|r| r.output.trim().to_string()).unwrap_or_default();
        out.push(Finding {
            severity: Severity::Warning,
            code: FindingCode::ClockSkew,
            subject: report.host.clone(),
            message: format!(
                "{}'s clock is about {secs} s {direction} the console's: Pacemaker's failure times, certificate validity and the logs of this host will not line up with the rest of the estate. Check its time service (chronyc tracking; timedatectl)",
                report.host
            ),
            evidence: vec![Evidence { host: report.host.clone(), command: Probe::Clock.command_line(), lines: vec![line] }],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Observed, ProbeResult};

    fn report(host_secs: &str, started_ms: u64, at_ms: u64) -> HostReport {
        HostReport {
            host: "wdc2-mq1".into(),
            error: None,
            data: Some(Observed {
                at_ms,
                started_ms,
                results: vec![ProbeResult { probe: Probe::Clock, output: format!("{host_secs}\n"), exit_code: Some(0) }],
            }),
        }
    }

    #[test]
    fn a_clock_inside_the_round_trip_is_right() {
        // Sent at …000.900, answered at …003.100: the host printed a second in between.
        assert_eq!(skew_ms(&report("1700000001", 1_700_000_000_900, 1_700_000_003_100)), None);
        // `%s` truncates: a host that printed …000 at …000.900 is right.
        assert_eq!(skew_ms(&report("1700000000", 1_700_000_000_900, 1_700_000_001_000)), None);
        // Within the tolerance either way.
        assert_eq!(skew_ms(&report("1700000005", 1_700_000_000_000, 1_700_000_000_100)), None);
    }

    #[test]
    fn a_clock_outside_it_is_off_by_how_far() {
        assert_eq!(skew_ms(&report("1700000120", 1_700_000_000_000, 1_700_000_000_200)), Some(119_800));
        assert_eq!(skew_ms(&report("1699999880", 1_700_000_000_000, 1_700_000_000_200)), Some(-119_000));
    }

    #[test]
    fn no_answer_no_finding() {
        let mut failed = report("1600000000", 1_700_000_000_000, 1_700_000_000_200);
        failed.error = Some("connection failed".into());
        assert_eq!(skew_ms(&failed), None);
        assert_eq!(skew_ms(&report("garbage", 1_700_000_000_000, 1_700_000_000_200)), None);
        let mut out = Vec::new();
        clock_findings(&[report("1700000300", 1_700_000_000_000, 1_700_000_000_200)], &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].message.starts_with("wdc2-mq1's clock is about 299 s ahead of the console's"), "{}", out[0].message);
    }
}
