//! A certificate rotation's trust graph, as the plan (or the run) carries it: the certificate
//! and the one that replaces it, every store that will trust the new one before it is used
//! (and why), every channel whose SSLPEER checks it (old and new DN against the filter; one
//! that would refuse the new DN stands out: AMQ9636E), and the MQIPT routes that present it
//! or connect to its queue manager.

use crate::checks::Tone;
use crate::components::badge::Badge;
use crate::components::cert_table::purpose_text;
use crate::components::plan::unique_id;
use leptos::prelude::*;
use model::intent::RotateMode;
use model::plan::Intent;
use model::plan_cert::{ChannelCheck, Rotation, RouteUse, TrustingStore};

/// A rotation whose new certificate the operator's CA signs (from a signing request): the
/// stores that check it trust it through the CA, nothing is added to them.
pub fn ca_signed(intent: &Intent) -> bool {
    matches!(intent, Intent::CertRotate { mode: RotateMode::Csr, .. })
}

/// What a channel's filter does with the new certificate, in words and a tone.
pub fn channel_verdict(c: &ChannelCheck) -> (Tone, &'static str) {
    match (c.old_matches, c.new_matches) {
        (true, true) => (Tone::Good, "accepts the new DN"),
        (false, true) => (Tone::Good, "refuses the old DN today, accepts the new one"),
        (true, false) => (Tone::Bad, "Blocks: would refuse the new DN — the channel stops with AMQ9636E"),
        (false, false) => (Tone::Warn, "refuses both: fails today with AMQ9636E and still would"),
    }
}

/// How a route uses the certificate, from the `mqipt.conf` property that ties it to it.
pub fn route_use(r: &RouteUse) -> String {
    match r.property.as_str() {
        "SSLClientSiteLabel" => "presents it to the queue manager (SSLClientSiteLabel): switched to the new label".into(),
        "SSLServerSiteLabel" => "presents it to connecting clients (SSLServerSiteLabel): switched to the new label".into(),
        "SSLClient" => "connects to the queue manager with TLS (SSLClient): its client keystore trusts the new certificate".into(),
        other => format!("uses it through {other}"),
    }
}

fn matches_word(matches: bool) -> &'static str {
    if matches { "✓ accepted" } else { "✖ refused" }
}

/// The trust graph of `rotation`; `heading` names the section ("Trust graph" in a preview);
/// `ca_signed` when the operator's CA signs the new certificate.
#[component]
pub fn TrustGraph(rotation: Rotation, #[prop(into)] heading: String, #[prop(optional)] ca_signed: bool) -> impl IntoView {
    let heading_id = unique_id("trust-graph");
    let labelled_by = heading_id.clone();
    let Rotation { host, store, label, purpose, subject, serial, written_on, new_label, new_subject, trusting, channels, routes } = rotation;
    let dn_changes = new_subject != subject;
    let blocked_channels = channels.iter().filter(|c| c.old_matches && !c.new_matches).count();
    let written = if written_on.is_empty() {
        "where it is written is not settled: the plan is blocked".to_string()
    } else if ca_signed {
        format!("requested on {written_on} (a signing request), signed by your CA, received into the same store")
    } else if written_on == host {
        format!("made on {written_on}, in the same store")
    } else {
        format!("made on {written_on} (where the store is written), in the same store")
    };
    let (n_trusting, n_channels, n_routes) = (trusting.len(), channels.len(), routes.len());
    view! {
        <section class="plan-part trust-graph" aria-labelledby=labelled_by>
            <h3 id=heading_id>{heading}</h3>
            <div class="tg-certs">
                <div class="tg-cert old">
                    <p class="tg-role">"Now presented"</p>
                    <p class="tg-label"><code>{label}</code></p>
                    <p class="tg-dn">{subject}</p>
                    <p class="muted">"serial " <code>{serial}</code> " · " {purpose_text(&purpose)} " on " <strong>{host}</strong></p>
                    <p class="muted"><code class="path">{store}</code></p>
                </div>
                <p class="tg-arrow" aria-hidden="true">"→"</p>
                <div class="tg-cert new">
                    <p class="tg-role">"Replaced by (the old one stays until retired)"</p>
                    <p class="tg-label"><code>{new_label}</code></p>
                    <p class="tg-dn">
                        {new_subject}
                        {dn_changes.then(|| view! { " " <Badge tone=Tone::Warn text="new DN" /> })}
                    </p>
                    <p class="muted">{written}</p>
                </div>
            </div>
            {(blocked_channels > 0).then(|| view! {
                <p role="alert" class="alert tone-bad">
                    {match blocked_channels {
                        1 => view! { <strong>"✖ A channel would refuse the new DN (AMQ9636E)."</strong> " Change its SSLPEER filter first, or keep a DN it accepts." }.into_any(),
                        n => view! { <strong>{format!("✖ {n} channels would refuse the new DN (AMQ9636E).")}</strong> " Change their SSLPEER filters first, or keep a DN they accept." }.into_any(),
                    }}
                </p>
            })}

            <h4>
                {if ca_signed {
                    format!("Stores that must trust it through your CA before it is used ({n_trusting})")
                } else {
                    format!("Stores that will trust the new certificate before it is used ({n_trusting})")
                }}
            </h4>
            {if trusting.is_empty() {
                view! { <p class="muted">"None: nothing else has to trust it (or the plan is blocked before the graph was complete)."</p> }.into_any()
            } else {
                view! {
                    <table class="data tg-table">
                        <caption>
                            {if ca_signed {
                                "Each must already trust your CA, the new certificate's issuer: checked when the certificate is uploaded (nothing is added to them)"
                            } else {
                                "Each gets the new certificate's public part, then loads its store again"
                            }}
                        </caption>
                        <thead><tr><th scope="col">"Store"</th><th scope="col">{if ca_signed { "On" } else { "Changed on" }}</th><th scope="col">"What it is"</th><th scope="col">"Why it must trust it"</th></tr></thead>
                        <tbody>
                            <For
                                each=move || trusting.clone()
                                key=|t: &TrustingStore| (t.host.clone(), t.store.clone())
                                children=|t: TrustingStore| view! {
                                    <tr>
                                        <th scope="row"><code class="path">{t.store}</code></th>
                                        <td>{t.host}</td>
                                        <td>{purpose_text(&t.purpose)}</td>
                                        <td>{t.why}</td>
                                    </tr>
                                }
                            />
                        </tbody>
                    </table>
                }
                .into_any()
            }}

            <h4>{format!("Channels whose SSLPEER checks it ({n_channels})")}</h4>
            {if channels.is_empty() {
                view! { <p class="muted">"No channel checks this certificate with an SSLPEER filter."</p> }.into_any()
            } else {
                view! {
                    <table class="data tg-table tg-channels">
                        <caption>"Each filter tested against the old and the new DN, by IBM MQ's rules"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Channel"</th>
                                <th scope="col">"SSLPEER filter"</th>
                                <th scope="col">"Old DN"</th>
                                <th scope="col">"New DN"</th>
                                <th scope="col">"Verdict, and why"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || channels.clone()
                                key=|c: &ChannelCheck| (c.qmgr.clone(), c.channel.clone())
                                children=|c: ChannelCheck| {
                                    let (tone, verdict) = channel_verdict(&c);
                                    let filter = if c.sslpeer.trim().is_empty() { "none (any trusted certificate)".to_string() } else { c.sslpeer.clone() };
                                    let running = if c.running { "running now: the run checks it runs with the new certificate" } else { "not running now" };
                                    view! {
                                        <tr class:problem=tone == Tone::Bad>
                                            <th scope="row">{c.channel}<br /><span class="muted note">"on " {c.qmgr} " · " {running}</span></th>
                                            <td class="dn">{filter}</td>
                                            <td class="match">{matches_word(c.old_matches)}</td>
                                            <td class="match">{matches_word(c.new_matches)}</td>
                                            <td class="wrap"><Badge tone=tone text=verdict /><br /><span class="muted">{c.explanation}</span></td>
                                        </tr>
                                    }
                                }
                            />
                        </tbody>
                    </table>
                }
                .into_any()
            }}

            <h4>{format!("MQIPT routes ({n_routes})")}</h4>
            {if routes.is_empty() {
                view! { <p class="muted">"No MQIPT route presents this certificate or connects to its queue manager with TLS."</p> }.into_any()
            } else {
                view! {
                    <table class="data tg-table">
                        <caption>"Routes of mqipt.conf that present the certificate or check it"</caption>
                        <thead><tr><th scope="col">"Route"</th><th scope="col">"To queue manager"</th><th scope="col">"How it uses the certificate"</th></tr></thead>
                        <tbody>
                            <For
                                each=move || routes.clone()
                                key=|r: &RouteUse| (r.instance.clone(), r.listener_port.clone(), r.property.clone())
                                children=|r: RouteUse| {
                                    let how = route_use(&r);
                                    view! {
                                        <tr>
                                            <th scope="row">{format!("{} route {}", r.instance, r.listener_port)}</th>
                                            <td>{r.qmgr.unwrap_or_else(|| "not known".into())}</td>
                                            <td>{how}</td>
                                        </tr>
                                    }
                                }
                            />
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(old: bool, new: bool) -> ChannelCheck {
        ChannelCheck { qmgr: "DRHAQM2".into(), channel: "C".into(), sslpeer: "CN=X".into(), old_matches: old, new_matches: new, explanation: String::new(), running: false }
    }

    #[test]
    fn a_filter_that_would_refuse_the_new_dn_blocks_and_names_amq9636e() {
        let (tone, words) = channel_verdict(&check(true, false));
        assert_eq!(tone, Tone::Bad);
        assert!(words.starts_with("Blocks") && words.contains("AMQ9636E"));
        assert_eq!(channel_verdict(&check(true, true)).0, Tone::Good);
        assert_eq!(channel_verdict(&check(false, false)).0, Tone::Warn);
    }

    #[test]
    fn a_route_says_how_it_uses_the_certificate() {
        let route = |property: &str| RouteUse { instance: "HAMQ".into(), listener_port: "1503".into(), qmgr: None, property: property.into() };
        assert!(route_use(&route("SSLClientSiteLabel")).starts_with("presents it to the queue manager"));
        assert!(route_use(&route("SSLClient")).contains("trusts the new certificate"));
        assert_eq!(route_use(&route("Other")), "uses it through Other");
    }
}
