//! The layers beneath rdqmstatus, as one node reported them for one queue manager: its DRBD
//! resources (`drbdadm status`) and its Pacemaker resources and fail-counts (`crm_mon`). A
//! stale INFINITY fail-count can ban a queue manager while rdqmstatus says "Normal", so these
//! are shown next to rdqmstatus, opened by themselves when something is wrong.

use crate::checks::Tone;
use crate::components::badge::Badge;
use crate::components::data_table::{DataTable, TextRow};
use leptos::prelude::*;
use model::crm::{CrmFailure, CrmResource, FailCount, INFINITY};
use model::drbd::DrbdResource;
use model::layers::NodeLayers;

/// The part of a node's layers that concerns one queue manager (stable between refreshes,
/// unlike the cluster summary's timestamps).
#[derive(Clone, Debug, PartialEq)]
pub struct QmLayers {
    pub drbd: Option<Vec<DrbdResource>>,
    pub resources: Option<Vec<CrmResource>>,
    pub fail_counts: Vec<FailCount>,
    pub failures: Vec<CrmFailure>,
    pub errors: Vec<String>,
}

/// `qm`'s resources: DRBD `drhaqm1` and `drhaqm1.<suffix>` (DR); Pacemaker `drhaqm1`,
/// `p_rdqmx_drhaqm1`, `p_fs_drhaqm1`, `p_drbd_drhaqm1`, `p_ip_drhaqm1` and their parents.
pub fn for_qm(layers: &NodeLayers, qm: &str) -> QmLayers {
    let name = qm.to_lowercase();
    let ours = |id: &str| id == name || id.ends_with(&format!("_{name}"));
    QmLayers {
        drbd: layers.drbd.as_ref().map(|d| {
            d.resources.iter().filter(|r| r.name == name || r.name.starts_with(&format!("{name}."))).cloned().collect()
        }),
        resources: layers.pacemaker.as_ref().map(|c| {
            c.resources.iter().filter(|r| ours(&r.id) || r.parent.as_deref().is_some_and(ours)).cloned().collect()
        }),
        fail_counts: layers
            .pacemaker
            .iter()
            .flat_map(|c| &c.fail_counts)
            .filter(|f| ours(&f.resource) && f.fail_count > 0)
            .cloned()
            .collect(),
        failures: layers
            .pacemaker
            .iter()
            .flat_map(|c| &c.failures)
            .filter(|f| f.resource.as_deref().is_some_and(ours))
            .cloned()
            .collect(),
        errors: layers.errors.clone(),
    }
}

fn fail_count_text(count: u64) -> String {
    if count >= INFINITY { "INFINITY (banned)".to_string() } else { count.to_string() }
}

fn drbd_is_wrong(r: &DrbdResource) -> bool {
    let not = |v: Option<&str>, good: &str| v.is_some_and(|v| !v.eq_ignore_ascii_case(good));
    not(r.disk.as_deref(), "UpToDate")
        || r.peers.iter().any(|p| not(p.connection.as_deref(), "Connected") || not(p.peer_disk.as_deref(), "UpToDate"))
}

fn peer_text(r: &DrbdResource) -> String {
    let peers: Vec<String> = r
        .peers
        .iter()
        .map(|p| {
            let mut parts = vec![p.role.clone().unwrap_or_else(|| "role ?".into())];
            parts.extend(p.connection.clone());
            parts.push(p.peer_disk.clone().unwrap_or_else(|| "disk ?".into()));
            parts.extend(p.replication.clone());
            parts.extend(p.done.map(|d| format!("{d:.1}% done")));
            format!("{}: {}", p.name, parts.join(", "))
        })
        .collect();
    if peers.is_empty() { "none printed".to_string() } else { peers.join("; ") }
}

#[component]
pub fn NodeLayersView(qm: String, node: String, layers: Option<QmLayers>) -> impl IntoView {
    let Some(layers) = layers else {
        return view! { <p class="muted">"DRBD and Pacemaker: not read from " {node} "."</p> }.into_any();
    };
    let wrong = !layers.fail_counts.is_empty()
        || !layers.failures.is_empty()
        || !layers.errors.is_empty()
        || layers.drbd.iter().flatten().any(drbd_is_wrong)
        || layers.resources.iter().flatten().any(|r| r.failed == Some(true) || r.blocked == Some(true));
    let summary = if wrong { format!("⚠ DRBD and Pacemaker for {qm}: something is wrong") } else { format!("DRBD and Pacemaker for {qm}") };
    let QmLayers { drbd, resources, fail_counts, failures, errors } = layers;
    view! {
        <details class="layers" open=wrong>
            <summary>{summary}</summary>
            {drbd_table(&node, drbd)}
            {pacemaker_table(&node, resources)}
            {(!fail_counts.is_empty()).then(|| view! {
                <ul class="reasons">
                    {fail_counts
                        .into_iter()
                        .map(|f| {
                            let text = format!("fail-count of {} on {}: {}", f.resource, f.node, fail_count_text(f.fail_count));
                            view! { <li><Badge tone=Tone::Bad text=text />{f.last_failure.map(|at| format!(" (last failure {at})"))}</li> }
                        })
                        .collect_view()}
                </ul>
            })}
            {(!failures.is_empty()).then(|| view! {
                <ul class="reasons">
                    {failures
                        .into_iter()
                        .map(|f| {
                            let text = |v: Option<String>| v.unwrap_or_default();
                            view! { <li>{format!("failed {} of {} on {}: {}", text(f.task), text(f.resource), text(f.node), text(f.exitreason))}</li> }
                        })
                        .collect_view()}
                </ul>
            })}
            {(!errors.is_empty()).then(|| view! {
                <ul class="reasons">{errors.into_iter().map(|e| view! { <li class="tone-bad">{e}</li> }).collect_view()}</ul>
            })}
        </details>
    }
    .into_any()
}

fn drbd_table(node: &str, drbd: Option<Vec<DrbdResource>>) -> AnyView {
    let Some(resources) = drbd else {
        return view! { <p class="muted">"drbdadm status was not read."</p> }.into_any();
    };
    let rows = resources
        .iter()
        .map(|r| TextRow::problem(drbd_is_wrong(r), vec![r.name.clone(), r.role.clone().unwrap_or_default(), r.disk.clone().unwrap_or_default(), peer_text(r)]))
        .collect();
    view! { <DataTable class="layers" caption=format!("drbdadm status on {node}") columns=&["Resource", "Role", "Disk", "Peers"] rows=rows /> }.into_any()
}

fn pacemaker_table(node: &str, resources: Option<Vec<CrmResource>>) -> AnyView {
    let Some(resources) = resources else {
        return view! { <p class="muted">"crm_mon was not read."</p> }.into_any();
    };
    let rows = resources
        .iter()
        .map(|r| {
            let state = match (r.failed, r.blocked, r.active) {
                (Some(true), _, _) => "failed",
                (_, Some(true), _) => "blocked",
                (_, _, Some(true)) => "active",
                (_, _, Some(false)) => "inactive",
                _ => "?",
            };
            TextRow::problem(matches!(state, "failed" | "blocked"), vec![r.id.clone(), r.role.clone().unwrap_or_default(), r.nodes.join(", "), state.to_string()])
        })
        .collect();
    view! { <DataTable class="layers" caption=format!("Pacemaker resources (crm_mon on {node})") columns=&["Resource", "Role", "On", "State"] rows=rows /> }.into_any()
}
