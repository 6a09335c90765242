//! The reference estate of seed 000: two regions of three RDQM nodes and a bastion running
//! MQIPT instance `HAMQ`, with DRHAQM1, DRHAQM2 and SSLDRHAQM1 (and TLS channels between the
//! last two).

use crate::estate::{ActiveRoute, Bastion, Channel, Estate, MqiptInstance, Node, QmSide, QueueManager, Region, Timing};
use crate::faults::Faults;
use model::mqipt::MqiptConf;
use model::status::DrRole;

pub const WDC_LB: &str = "3bdf30c3-us-east.lb.appdomain.cloud";
pub const DAL_LB: &str = "e8deec77-us-south.lb.appdomain.cloud";
pub const MQIPT_INSTANCE: &str = "HAMQ";
pub const MQIPT_CONF_PATH: &str = "/opt/mqipt/installation1/mqipt/HAMQ/mqipt.conf";
pub const BASTION: &str = "wdc-bastion";
/// The client host of seed 000 (`rdqmput`/`rdqmget`, `amqsgetc`/`amqscnxc` through MQIPT).
pub const CLIENT: &str = "wdc-mq-client";

/// The bastion's `mqipt.conf` as the seed leaves it: routes 1501 and 1502, and the
/// SSLServer/SSLClient route 1503 for SSLDRHAQM1.
pub const MQIPT_CONF: &str = "\
# MQIPT configuration for instance HAMQ on wdc-bastion
[global]
CommandPort=1881
Trace=0

[route]
Name=DRHAQM1
Active=true
ListenerPort=1501
Destination=3bdf30c3-us-east.lb.appdomain.cloud
DestinationPort=1501

[route]
Name=DRHAQM2
Active=true
ListenerPort=1502
Destination=e8deec77-us-south.lb.appdomain.cloud
DestinationPort=1502

[route]
Name=SSLDRHAQM1
Active=true
ListenerPort=1503
Destination=3bdf30c3-us-east.lb.appdomain.cloud
DestinationPort=1503
SSLServer=true
SSLServerSiteLabel=mqiptserver
SSLServerAskClientAuth=true
SSLServerKeyRing=/opt/mqipt/installation1/mqipt/HAMQ/keys/mq-ipt-server.pfx
SSLServerKeyRingPW=/opt/mqipt/installation1/mqipt/HAMQ/keys/mq-ipt-pw.key
SSLServerCipherSuites=SSL_RSA_WITH_AES_256_GCM_SHA384
SSLClient=true
SSLClientSiteLabel=mqiptclient
SSLClientKeyRing=/opt/mqipt/installation1/mqipt/HAMQ/keys/mq-ipt-client.pfx
SSLClientKeyRingPW=/opt/mqipt/installation1/mqipt/HAMQ/keys/mq-ipt-pw.key
SSLClientCipherSuites=SSL_RSA_WITH_AES_256_GCM_SHA384
Trace=0
";

/// The largest `LAB_SCALE`: group g's listener ports (1500 + 10·g + i) stay below MQIPT's
/// command port (1881).
pub const MAX_SCALE: u32 = 30;

/// How many queue managers each HA group of a scaled lab has.
pub const QMGRS_PER_GROUP: u32 = 3;

/// The queue managers of HA group `group` ≥ 2 of a scaled lab, as (name, listener port, DR
/// port, DR primary region): `G<g>QM1` to `G<g>QM3`, listening on 1500 + 10·g + i (route
/// ports the same), replicating DR on 7000 + 10·g + i, DR primary alternating WDC, DAL, WDC as
/// the reference's three do. Group 1 is the reference's DRHAQM1, DRHAQM2 and SSLDRHAQM1.
pub fn group_qmgrs(group: u32) -> Vec<(String, u16, u16, &'static str)> {
    (1..=QMGRS_PER_GROUP)
        .map(|i| {
            let offset = (10 * group + i) as u16;
            (format!("G{group}QM{i}"), 1500 + offset, 7000 + offset, if i % 2 == 1 { "WDC" } else { "DAL" })
        })
        .collect()
}

/// The load balancer of a region of the reference estate.
pub fn load_balancer(region: &str) -> &'static str {
    if region == "DAL" { DAL_LB } else { WDC_LB }
}

/// The bastion's `mqipt.conf` for `scale` HA groups per region: the seed's, then a plain route
/// per queue manager of groups 2 to `scale`, to the load balancer of its DR primary region.
pub fn mqipt_conf(scale: u32) -> String {
    let mut conf = MQIPT_CONF.to_string();
    for group in 2..=scale {
        for (name, port, _, primary) in group_qmgrs(group) {
            conf.push_str(&format!(
                "\n[route]\nName={name}\nActive=true\nListenerPort={port}\nDestination={}\nDestinationPort={port}\n",
                load_balancer(primary)
            ));
        }
    }
    conf
}

fn node(name: &str, ip: &str) -> Node {
    Node { name: name.to_string(), ip: ip.to_string(), up: true, suspended: false, resync: None, tlshd: None }
}

fn qmgr(name: &str, listener_port: u16, dr_port: u16, primary: &str) -> QueueManager {
    grouped_qmgr(name, listener_port, dr_port, primary, 1)
}

/// A queue manager of HA group `group` (preferring the group's first node in each region).
fn grouped_qmgr(name: &str, listener_port: u16, dr_port: u16, primary: &str, group: u32) -> QueueManager {
    let side = |region: &str, preferred: &str| QmSide {
        region: region.to_string(),
        dr_role: if region == primary { DrRole::Primary } else { DrRole::Secondary },
        preferred: preferred.to_string(),
        queues: Default::default(),
    };
    QueueManager {
        name: name.to_string(),
        listener_port,
        dr_port,
        sides: vec![side("WDC", &format!("wdc1-mq{group}")), side("DAL", &format!("dal1-mq{group}"))],
        group,
        disabled: false,
        starting: None,
        ending: None,
        out_of_sync_kb: 0,
        lost_kb: 0,
        split_survivor: None,
        resync_until_ms: None,
        resync_since_ms: None,
        forced_dr: None,
        fail_counts: Default::default(),
        failures: Vec::new(),
        drbd_disk: Default::default(),
        floating_ip: None,
        channels: Vec::new(),
        qmgr_attributes: Vec::new(),
        // Seed 000 defines it on each queue manager for the client tests.
        local_queues: vec!["MQIPT.LOCAL.QUEUE".into()],
        tls: None,
    }
}

/// The routes MQIPT loads from `conf` at start.
pub fn load_routes(conf: &str) -> Vec<ActiveRoute> {
    MqiptConf::parse(conf)
        .routes()
        .iter()
        .filter(|r| r.is_active())
        .filter_map(|r| {
            Some(ActiveRoute {
                listener_port: r.listener_port()?.trim().to_string(),
                name: r.name().map(str::to_string),
                destination: r.destination().map(str::to_string),
                destination_port: r.destination_port().map(str::to_string),
                starts: 1,
                failed: false,
                ssl: r
                    .properties
                    .iter()
                    .filter(|p| p.key.trim().to_ascii_uppercase().starts_with("SSL"))
                    .map(|p| (p.key.trim().to_string(), p.value.trim().to_string()))
                    .collect(),
                tls: None,
            })
        })
        .collect()
}

/// The reference estate, its MQIPT instance reading its configuration at `conf_path`.
pub fn estate(conf_path: &str) -> Estate {
    Estate {
        regions: vec![
            Region {
                name: "WDC".into(),
                load_balancer: WDC_LB.into(),
                nodes: vec![
                    node("wdc1-mq1", "10.241.0.4"),
                    node("wdc2-mq1", "10.241.64.4"),
                    node("wdc3-mq1", "10.241.128.4"),
                ],
                group: 1,
            },
            Region {
                name: "DAL".into(),
                load_balancer: DAL_LB.into(),
                nodes: vec![
                    node("dal1-mq1", "10.240.0.4"),
                    node("dal2-mq1", "10.240.64.4"),
                    node("dal3-mq1", "10.240.128.4"),
                ],
                group: 1,
            },
        ],
        bastions: vec![Bastion {
            name: BASTION.into(),
            ip: "10.241.1.4".into(),
            up: true,
            mqipt: vec![MqiptInstance {
                name: MQIPT_INSTANCE.into(),
                conf_path: conf_path.to_string(),
                running: true,
                active_routes: load_routes(MQIPT_CONF),
                refreshes: 0,
            }],
        }],
        clients: vec![CLIENT.into()],
        qmgrs: vec![drhaqm1(), drhaqm2(), ssl_qmgr()],
        faults: Faults::default(),
        resync_ms: 3000,
        command_log: Vec::new(),
        timing: Timing::default(),
        clock_ms: 0,
        tls_links: Default::default(),
        tls_signatures: Default::default(),
        tls_loads: 0,
    }
}

/// The reference estate with `scale` HA groups per region (`LAB_SCALE`): group g ≥ 2 has
/// nodes `wdc1-mq<g>` … `wdc3-mq<g>` and `dal1-mq<g>` … `dal3-mq<g>` (addresses 10.241.x.(3+g)
/// and 10.240.x.(3+g)) and the queue managers of [`group_qmgrs`], each reached through its own
/// MQIPT route (see [`mqipt_conf`]). A `scale` of 1 is [`estate`] exactly.
pub fn scaled_estate(conf_path: &str, scale: u32) -> Estate {
    let mut estate = estate(conf_path);
    for group in 2..=scale.min(MAX_SCALE) {
        for (region, lb, net) in [("WDC", WDC_LB, "10.241"), ("DAL", DAL_LB, "10.240")] {
            let prefix = region.to_lowercase();
            let nodes = [0, 64, 128]
                .iter()
                .enumerate()
                .map(|(i, third)| node(&format!("{prefix}{}-mq{group}", i + 1), &format!("{net}.{third}.{}", 3 + group)))
                .collect();
            estate.regions.push(Region { name: region.into(), load_balancer: lb.into(), nodes, group });
        }
        for (name, port, dr_port, primary) in group_qmgrs(group) {
            let mut qm = grouped_qmgr(&name, port, dr_port, primary, group);
            qm.channels = vec![client_channel(&format!("{name}.MQIPT"))];
            estate.qmgrs.push(qm);
        }
    }
    if scale > 1 {
        estate.bastions[0].mqipt[0].active_routes = load_routes(&mqipt_conf(scale.min(MAX_SCALE)));
    }
    estate
}

fn attr(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// Where a channel to a DR queue manager calls: its listener behind either region's load
/// balancer, the region where it runs now first (the way seed 000 reaches it through MQIPT).
fn conname(port: u16, first: &str) -> String {
    let (a, b) = if first == "DAL" { (DAL_LB, WDC_LB) } else { (WDC_LB, DAL_LB) };
    format!("{a}({port}),{b}({port})")
}

/// One end of a queue manager to queue manager channel with TLS, attributes in MQSC's order.
fn tls_channel(name: &str, chltype: &str, sslciph: &str, sslpeer: &str, conname: Option<String>) -> Channel {
    let mut attributes = vec![attr("CHLTYPE", chltype), attr("ALTDATE", "2022-06-28"), attr("ALTTIME", "18.21.00"), attr("CERTLABL", " ")];
    if let Some(conname) = &conname {
        attributes.push(attr("CONNAME", conname));
    }
    let (from, to) = name.split_once(".TO.").unwrap_or((name, "?"));
    let kind = if conname.is_some() { "Sender" } else { "Receiver" };
    attributes.push(attr("DESCR", &format!("{kind} channel using TLS from {from} to {to}")));
    if conname.is_none() {
        attributes.extend([attr("MCAUSER", " "), attr("SSLCAUTH", "REQUIRED")]);
    }
    attributes.extend([attr("SSLCIPH", sslciph), attr("SSLPEER", sslpeer), attr("TRPTYPE", "TCP")]);
    if conname.is_some() {
        attributes.push(attr("XMITQ", to));
    }
    Channel { name: name.to_string(), attributes }
}

/// The CipherSpec IBM recommends at both ends of a channel (a minimum protocol).
const MIN_TLS12: &str = "ANY_TLS12_OR_HIGHER";
/// The planted mismatch: the sender names the seed's CipherSpec, its receiver another one.
const SENDER_CIPH: &str = "TLS_RSA_WITH_AES_128_CBC_SHA256";
const RECEIVER_CIPH: &str = "TLS_RSA_WITH_AES_256_GCM_SHA384";

/// DRHAQM2 with its own key repository and TLS channels to and from SSLDRHAQM1:
/// `SSLDRHAQM1.TO.DRHAQM2` is a good pair (its receiver's SSLPEER names SSLDRHAQM1's
/// certificate); `DRHAQM2.TO.SSLDRHAQM1` is planted with CipherSpecs that differ between its
/// sender and its receiver (AMQ9631E: the sender keeps retrying).
fn drhaqm2() -> QueueManager {
    let mut qm = qmgr("DRHAQM2", 1502, 7002, "DAL");
    qm.qmgr_attributes = vec![attr("SSLKEYR", "/var/mqm/vols/drhaqm2/qmgr/drhaqm2/ssl/drhaqm2KeyFile"), attr("CERTLABL", "drhaqm2certlabel")];
    qm.channels = vec![
        client_channel("DRHAMQ2.MQIPT"),
        tls_channel("DRHAQM2.TO.SSLDRHAQM1", "SDR", SENDER_CIPH, " ", Some(conname(1503, "WDC"))),
        tls_channel("SSLDRHAQM1.TO.DRHAQM2", "RCVR", MIN_TLS12, "CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,C=US", None),
    ];
    qm
}

/// SSLDRHAQM1 as seed 000 configures it: its key repository and certificate label, and the
/// SVRCONN channel MQIPT connects to, with an SSLPEER the MQIPT client certificate does not
/// match (planted: the console must predict AMQ9636E); plus its ends of the channels with
/// The SVRCONN channel a client reaches a queue manager by through MQIPT, as seed 000 defines
/// it (`DEFINE CHANNEL(DRHAMQ1.MQIPT) CHLTYPE(SVRCONN)`, the seed's spelling).
fn client_channel(name: &str) -> Channel {
    Channel { name: name.into(), attributes: vec![attr("CHLTYPE", "SVRCONN"), attr("TRPTYPE", "TCP")] }
}

fn drhaqm1() -> QueueManager {
    let mut qm = qmgr("DRHAQM1", 1501, 7001, "WDC");
    qm.channels = vec![client_channel("DRHAMQ1.MQIPT")];
    qm
}

/// DRHAQM2 (see [`drhaqm2`]).
fn ssl_qmgr() -> QueueManager {
    let mut qm = qmgr("SSLDRHAQM1", 1503, 7005, "WDC");
    qm.qmgr_attributes = vec![
        attr("SSLKEYR", "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile"),
        attr("CERTLABL", "ssldrhaqm1certlabel"),
    ];
    qm.channels = vec![Channel {
        name: "SSLDRHAQM1.MQIPT".into(),
        attributes: vec![
            attr("CHLTYPE", "SVRCONN"),
            attr("ALTDATE", "2022-06-28"),
            attr("ALTTIME", "18.21.00"),
            attr("CERTLABL", "ssldrhaqm1certlabel"),
            attr("DESCR", " "),
            attr("MCAUSER", "mqadmin"),
            attr("SSLCAUTH", "REQUIRED"),
            attr("SSLCIPH", "ANY_TLS12_OR_HIGHER"),
            attr("SSLPEER", "CN=mqipt-gateway,OU=IBM,C=US"),
            attr("TRPTYPE", "TCP"),
        ],
    }];
    qm.channels.extend([
        tls_channel("DRHAQM2.TO.SSLDRHAQM1", "RCVR", RECEIVER_CIPH, "CN=DRHAQM2,OU=SSL For MQ,O=IBM,C=US", None),
        tls_channel("SSLDRHAQM1.TO.DRHAQM2", "SDR", MIN_TLS12, " ", Some(conname(1502, "DAL"))),
    ]);
    qm
}
