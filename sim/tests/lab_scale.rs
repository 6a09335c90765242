//! A scaled lab (`LAB_SCALE=10`) over real OpenSSH: 60 RDQM nodes, each its own sshd, that
//! answer for their own HA group only; 30 queue managers each reached through its MQIPT route;
//! the console configuration naming every node's HA group.

#![allow(clippy::unwrap_used)]

use sim::lab::Lab;
use std::path::Path;
use std::process::Output;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn names(text: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.strip_prefix("Queue manager name:")).map(|v| v.trim().to_string()).collect()
}

#[test]
fn a_lab_of_ten_ha_groups_per_region_over_ssh() {
    let lab = Lab::start_groups(Path::new(env!("CARGO_BIN_EXE_rdqm-sim")), 10);
    assert_eq!(lab.var("LAB_SCALE"), "10");
    let mut ports = std::collections::BTreeSet::new();
    for g in 1..=10 {
        for host in ["wdc1", "wdc2", "wdc3", "dal1", "dal2", "dal3"] {
            assert!(ports.insert(lab.ssh_port(&format!("{host}-mq{g}"))), "{host}-mq{g} has a port of its own");
        }
    }

    for (host, expected) in [
        ("wdc1-mq1", vec!["DRHAQM1", "DRHAQM2", "SSLDRHAQM1"]),
        ("dal2-mq4", vec!["G4QM1", "G4QM2", "G4QM3"]),
        ("wdc3-mq10", vec!["G10QM1", "G10QM2", "G10QM3"]),
    ] {
        let out = lab.ssh(host, "rdqmstatus");
        assert_eq!(out.status.code(), Some(0), "{host}: {out:?}");
        assert_eq!(names(&stdout(&out)), expected, "{host}");
    }
    let group = lab.ssh("dal2-mq4", "rdqmstatus -n");
    assert_eq!(stdout(&group), "Node dal1-mq4 is online\nNode dal2-mq4 is online\nNode dal3-mq4 is online\n");
    let refused = lab.ssh("wdc1-mq4", "rdqmstatus -m DRHAQM1");
    assert_eq!((refused.status.code(), stdout(&refused)), (Some(1), "AMQ8118E: IBM MQ queue manager 'DRHAQM1' does not exist.\n".to_string()));

    // The whole estate, read without trusting any command's output.
    let state: serde_json::Value = serde_json::from_slice(&lab.sim(&["state"]).stdout).unwrap();
    let nodes: usize = state["regions"].as_array().unwrap().iter().map(|r| r["nodes"].as_array().unwrap().len()).sum();
    assert_eq!((nodes, state["qmgrs"].as_array().unwrap().len()), (60, 30));

    // A group's queue manager through its own MQIPT route, from the client host.
    let put = lab.ssh("wdc-mq-client", &format!("MQSERVER='{}' rdqmput -b1 -m2 -s0 G4QM2 MQIPT.LOCAL.QUEUE", lab.var("LAB_MQSERVER_G4QM2")));
    assert!(stdout(&put).ends_with("Completed\n"), "{put:?}");

    // The console's configuration: every node in its HA group, every queue manager in its pair.
    let config = std::fs::read_to_string(lab.var("LAB_CONSOLE_CONFIG")).unwrap();
    let count = |prefix: &str| config.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!((count("[[nodes]]"), count("ha_group = \""), count("[[qmgrs]]"), count("ha_groups = [")), (60, 60, 30, 30));
    let port = lab.ssh_port("wdc2-mq7");
    let node = format!("[[nodes]]\nname = \"wdc2-mq7\"\nregion = \"WDC\"\nha_group = \"WDC-7\"\naddress = \"127.0.0.1\"\nport = {port}\n");
    assert!(config.contains(&node), "{config}");
    assert!(config.contains("[[qmgrs]]\nname = \"G7QM2\"\nha_groups = [\"WDC-7\", \"DAL-7\"]\nlistener_port = 1572\nmqipt = \"HAMQ\"\nroute_listener_port = 1572\n"));
    assert!(config.contains("name = \"DRHAQM1\"\nha_groups = [\"WDC-1\", \"DAL-1\"]\n"));

    // A region lost takes every group's nodes down; back again, they answer.
    assert!(lab.sim(&["fault", "region-down", "WDC"]).status.success());
    assert_eq!(lab.ssh("wdc2-mq9", "true").status.code(), Some(255), "the node's sshd is gone");
    assert_eq!(lab.ssh("dal2-mq9", "true").status.code(), Some(0));
    assert!(lab.sim(&["fault", "region-up", "WDC"]).status.success());
    assert_eq!(lab.ssh("wdc2-mq9", "rdqmstatus -n").status.code(), Some(0));
}
