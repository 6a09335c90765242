//! The reference estate of seed 000: two regions of three RDQM nodes and a bastion running
//! MQIPT instance `HAMQ`, with DRHAQM1, DRHAQM2 and SSLDRHAQM1.

use crate::estate::{ActiveRoute, Bastion, Estate, MqiptInstance, Node, QmSide, QueueManager, Region};
use crate::faults::Faults;
use model::mqipt::MqiptConf;
use model::status::DrRole;

pub const WDC_LB: &str = "3bdf30c3-us-east.lb.appdomain.cloud";
pub const DAL_LB: &str = "e8deec77-us-south.lb.appdomain.cloud";
pub const MQIPT_INSTANCE: &str = "HAMQ";
pub const MQIPT_CONF_PATH: &str = "/opt/mqipt/installation1/mqipt/HAMQ/mqipt.conf";
pub const BASTION: &str = "wdc-bastion";

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

fn node(name: &str, ip: &str) -> Node {
    Node { name: name.to_string(), ip: ip.to_string(), up: true, suspended: false }
}

fn qmgr(name: &str, listener_port: u16, dr_port: u16, primary: &str) -> QueueManager {
    let side = |region: &str, preferred: &str| QmSide {
        region: region.to_string(),
        dr_role: if region == primary { DrRole::Primary } else { DrRole::Secondary },
        preferred: preferred.to_string(),
    };
    QueueManager {
        name: name.to_string(),
        listener_port,
        dr_port,
        sides: vec![side("WDC", "wdc1-mq1"), side("DAL", "dal1-mq1")],
        disabled: false,
        out_of_sync_kb: 0,
        lost_kb: 0,
        split_survivor: None,
        resync_until_ms: None,
        forced_dr: None,
        fail_counts: Default::default(),
        failures: Vec::new(),
        drbd_disk: Default::default(),
        floating_ip: None,
        channels: Vec::new(),
        qmgr_attributes: Vec::new(),
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
            },
            Region {
                name: "DAL".into(),
                load_balancer: DAL_LB.into(),
                nodes: vec![
                    node("dal1-mq1", "10.240.0.4"),
                    node("dal2-mq1", "10.240.64.4"),
                    node("dal3-mq1", "10.240.128.4"),
                ],
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
        qmgrs: vec![
            qmgr("DRHAQM1", 1501, 7001, "WDC"),
            qmgr("DRHAQM2", 1502, 7002, "DAL"),
            ssl_qmgr(),
        ],
        faults: Faults::default(),
        resync_ms: 3000,
    }
}

/// SSLDRHAQM1 as seed 000 configures it: its key repository and certificate label, and the
/// SVRCONN channel MQIPT connects to, with an SSLPEER the MQIPT client certificate does not
/// match (planted: the console must predict AMQ9636E).
fn ssl_qmgr() -> QueueManager {
    let attr = |k: &str, v: &str| (k.to_string(), v.to_string());
    let mut qm = qmgr("SSLDRHAQM1", 1503, 7005, "WDC");
    qm.qmgr_attributes = vec![
        attr("SSLKEYR", "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile"),
        attr("CERTLABL", "ssldrhaqm1certlabel"),
    ];
    qm.channels = vec![crate::estate::Channel {
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
    qm
}
