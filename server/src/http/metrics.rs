//! `GET /metrics`: Prometheus text exposition of the last refresh.

use super::AppState;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::fmt::Write as _;

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A scraper with the configured bearer token, or a signed-in user when none is configured.
async fn allowed(state: &AppState, headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    match &state.auth.metrics_token {
        Some(token) => {
            use subtle::ConstantTimeEq as _;
            let sent = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
            if !sent.is_empty() && bool::from(sent.as_bytes().ct_eq(token.as_bytes())) {
                Ok(())
            } else {
                Err(ApiError::Unauthorized("/metrics needs Authorization: Bearer <the configured metrics token>".into()))
            }
        }
        None => super::session::verify_session(state, headers, "metrics").await.map(|_| ()),
    }
}

pub async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Result<impl IntoResponse, ApiError> {
    allowed(&state, &headers).await?;
    let mut out = String::new();
    let poller = &state.poller;
    let _ = writeln!(out, "# HELP rdqm_console_ssh_channels_total Remote command channels opened since start.");
    let _ = writeln!(out, "# TYPE rdqm_console_ssh_channels_total counter");
    let _ = writeln!(out, "rdqm_console_ssh_channels_total {}", poller.exec().channels_opened());
    let store = state.store.status().await;
    let _ = writeln!(out, "# HELP rdqm_console_store_writable 1 when this instance can write the store (quorum, lease held).");
    let _ = writeln!(out, "# TYPE rdqm_console_store_writable gauge");
    let _ = writeln!(out, "rdqm_console_store_writable {}", u8::from(store.writable));
    let _ = writeln!(out, "# HELP rdqm_console_store_leader 1 when this instance carries the singleton duties.");
    let _ = writeln!(out, "# TYPE rdqm_console_store_leader gauge");
    let _ = writeln!(out, "rdqm_console_store_leader{{instance=\"{}\"}} {}", escape(&store.this.instance), u8::from(store.leader.as_deref() == Some(store.this.owner.as_str())));
    let _ = writeln!(out, "# HELP rdqm_console_store_instances Console instances alive in the store.");
    let _ = writeln!(out, "# TYPE rdqm_console_store_instances gauge");
    let _ = writeln!(out, "rdqm_console_store_instances {}", store.instances.len());
    let _ = writeln!(out, "# HELP rdqm_console_refreshes_total Estate refreshes completed since start.");
    let _ = writeln!(out, "# TYPE rdqm_console_refreshes_total counter");
    let _ = writeln!(out, "rdqm_console_refreshes_total {}", poller.refreshes());
    let _ = writeln!(out, "# HELP rdqm_console_ssh_errors_total Hosts that could not be read, summed over refreshes.");
    let _ = writeln!(out, "# TYPE rdqm_console_ssh_errors_total counter");
    let _ = writeln!(out, "rdqm_console_ssh_errors_total {}", poller.host_errors());
    if let Some(snapshot) = poller.current() {
        let _ = writeln!(out, "# HELP rdqm_console_poll_duration_seconds Duration of the last full refresh.");
        let _ = writeln!(out, "# TYPE rdqm_console_poll_duration_seconds gauge");
        let _ = writeln!(out, "rdqm_console_poll_duration_seconds {:.3}", snapshot.poll_duration_ms as f64 / 1000.0);
        let _ = writeln!(out, "# HELP rdqm_console_snapshot_build_seconds Time the last refresh spent parsing and deriving findings.");
        let _ = writeln!(out, "# TYPE rdqm_console_snapshot_build_seconds gauge");
        let _ = writeln!(out, "rdqm_console_snapshot_build_seconds {:.6}", poller.build_micros() as f64 / 1e6);
        let _ = writeln!(out, "# HELP rdqm_console_last_refresh_timestamp_seconds When the last refresh finished.");
        let _ = writeln!(out, "# TYPE rdqm_console_last_refresh_timestamp_seconds gauge");
        let _ = writeln!(out, "rdqm_console_last_refresh_timestamp_seconds {:.3}", snapshot.polled_at as f64 / 1000.0);
        let _ = writeln!(out, "# HELP rdqm_console_host_reachable 1 when the last refresh reached the host.");
        let _ = writeln!(out, "# TYPE rdqm_console_host_reachable gauge");
        for node in snapshot.regions.iter().flat_map(|r| r.nodes.iter()) {
            let _ = writeln!(out, "rdqm_console_host_reachable{{host=\"{}\",region=\"{}\"}} {}", escape(&node.name), escape(&node.region), u8::from(node.reachable));
        }
        for instance in &snapshot.mqipt {
            let _ = writeln!(out, "rdqm_console_host_reachable{{host=\"{}\",region=\"\"}} {}", escape(&instance.host), u8::from(instance.reachable));
        }
        let _ = writeln!(out, "# HELP rdqm_console_qmgr_dr_role DR role per queue manager and region (1 = the labelled role).");
        let _ = writeln!(out, "# TYPE rdqm_console_qmgr_dr_role gauge");
        let _ = writeln!(out, "# HELP rdqm_console_qmgr_dr_status DR status per queue manager and region as printed (1 = the labelled status).");
        let _ = writeln!(out, "# TYPE rdqm_console_qmgr_dr_status gauge");
        let _ = writeln!(out, "# HELP rdqm_console_qmgr_ha_status HA status per queue manager and node (1 = the labelled status).");
        let _ = writeln!(out, "# TYPE rdqm_console_qmgr_ha_status gauge");
        let _ = writeln!(out, "# HELP rdqm_console_qmgr_running 1 on the node running the queue manager.");
        let _ = writeln!(out, "# TYPE rdqm_console_qmgr_running gauge");
        for qm in &snapshot.qmgrs {
            let name = escape(&qm.name);
            for side in &qm.sides {
                let region = escape(&side.region);
                if let Some(role) = &side.dr_role {
                    let _ = writeln!(out, "rdqm_console_qmgr_dr_role{{qmgr=\"{name}\",region=\"{region}\",role=\"{}\"}} 1", escape(role.as_str()));
                }
                if let Some(status) = &side.dr_status {
                    let _ = writeln!(out, "rdqm_console_qmgr_dr_status{{qmgr=\"{name}\",region=\"{region}\",status=\"{}\"}} 1", escape(&status.to_string()));
                }
                for node in &side.nodes {
                    if let Some(status) = &node.ha_status {
                        let _ = writeln!(out, "rdqm_console_qmgr_ha_status{{qmgr=\"{name}\",node=\"{}\",status=\"{}\"}} 1", escape(&node.node), escape(status.as_str()));
                    }
                    let running = qm.running_nodes.contains(&node.node);
                    let _ = writeln!(out, "rdqm_console_qmgr_running{{qmgr=\"{name}\",node=\"{}\"}} {}", escape(&node.node), u8::from(running));
                }
            }
        }
        let _ = writeln!(out, "# HELP rdqm_console_qmgr_ready 1 when the region could run (or keep running) the queue manager now.");
        let _ = writeln!(out, "# TYPE rdqm_console_qmgr_ready gauge");
        for qm in &snapshot.qmgrs {
            for (region, readiness) in &qm.readiness {
                let _ = writeln!(out, "rdqm_console_qmgr_ready{{qmgr=\"{}\",region=\"{}\"}} {}", escape(&qm.name), escape(region), u8::from(readiness.ready));
            }
        }
        let _ = writeln!(out, "# HELP rdqm_console_pacemaker_fail_count Pacemaker fail-count per resource and node (1000000 = INFINITY), as each node reports it.");
        let _ = writeln!(out, "# TYPE rdqm_console_pacemaker_fail_count gauge");
        let _ = writeln!(out, "# HELP rdqm_console_drbd_disk DRBD disk state of each resource on each node (1 = the labelled state).");
        let _ = writeln!(out, "# TYPE rdqm_console_drbd_disk gauge");
        for node in snapshot.regions.iter().flat_map(|r| r.nodes.iter()).filter(|n| n.reachable) {
            let Some(layers) = &node.layers else { continue };
            if let Some(crm) = &layers.pacemaker {
                for f in crm.fail_counts.iter().filter(|f| f.node == node.name) {
                    let _ = writeln!(out, "rdqm_console_pacemaker_fail_count{{node=\"{}\",resource=\"{}\"}} {}", escape(&f.node), escape(&f.resource), f.fail_count);
                }
            }
            if let Some(drbd) = &layers.drbd {
                for r in &drbd.resources {
                    let disk = r.disk.clone().unwrap_or_else(|| "unknown".into());
                    let _ = writeln!(out, "rdqm_console_drbd_disk{{node=\"{}\",resource=\"{}\",disk=\"{}\"}} 1", escape(&node.name), escape(&r.name), escape(&disk));
                }
            }
        }
        let _ = writeln!(out, "# HELP rdqm_console_findings Findings of the last refresh by severity.");
        let _ = writeln!(out, "# TYPE rdqm_console_findings gauge");
        for severity in ["critical", "warning", "info"] {
            let count = snapshot.findings.iter().filter(|f| serde_json::to_value(f.severity).ok().and_then(|v| v.as_str().map(|s| s == severity)).unwrap_or(false)).count();
            let _ = writeln!(out, "rdqm_console_findings{{severity=\"{severity}\"}} {count}");
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], out))
}
