//! The reference estate in memory, for the simulator's tests: commands run as on a host, and
//! the fault knobs, without sshd (the lab tests cover that path).

// Each test file uses part of this.
#![allow(dead_code)]

use sim::commands::{self, Invocation, Outcome};
use sim::control::{self, Fault, HostEvent};
use sim::estate::Estate;
use sim::fs::{HostFs, MemFs};
use sim::reference::{self, MQIPT_CONF, MQIPT_CONF_PATH};

/// 2022-06-02 19:26:11 UTC, the seed's refresh.
pub const T0: u64 = 1_654_197_971_000;

pub struct Lab {
    pub estate: Estate,
    pub fs: MemFs,
    pub now_ms: u64,
}

impl Lab {
    pub fn new() -> Self {
        let fs = MemFs::default();
        fs.write(MQIPT_CONF_PATH, MQIPT_CONF).expect("in memory");
        Lab { estate: reference::estate(MQIPT_CONF_PATH), fs, now_ms: T0 }
    }

    /// The reference estate with `scale` HA groups per region (`LAB_SCALE`), its MQIPT
    /// instance reading the scaled `mqipt.conf`.
    pub fn scaled(scale: u32) -> Self {
        let fs = MemFs::default();
        fs.write(MQIPT_CONF_PATH, &reference::mqipt_conf(scale)).expect("in memory");
        Lab { estate: reference::scaled_estate(MQIPT_CONF_PATH, scale), fs, now_ms: T0 }
    }

    /// `line` run on `host` as its shell would split it (no quoting).
    pub fn run(&mut self, host: &str, line: &str) -> Outcome {
        self.run_with_input(host, line, "")
    }

    /// The same, with `stdin` on its standard input (runmqsc reads its commands there).
    pub fn run_with_input(&mut self, host: &str, line: &str, stdin: &str) -> Outcome {
        let mut words = line.split_whitespace().peekable();
        // `MQSERVER=… rdqmput …`: the variable as the shell would set it for the command.
        let mqserver = words.next_if(|w| w.starts_with("MQSERVER=")).map(|w| w.trim_start_matches("MQSERVER="));
        let program = words.next().expect("a command");
        let args: Vec<String> = words.map(str::to_string).collect();
        let inv = Invocation { host, program, args: &args, now_ms: self.now_ms, stdin, via_sudo: false, mqserver };
        commands::run(&mut self.estate, &self.fs, &inv)
    }

    /// Its output; it must succeed.
    pub fn ok(&mut self, host: &str, line: &str) -> String {
        let outcome = self.run(host, line);
        assert!(outcome.code == 0, "{host}$ {line}: {outcome:?}");
        outcome.stdout
    }

    /// A fault knob as `rdqm-sim fault` takes it, e.g. `region-down WDC`.
    pub fn fault(&mut self, knob: &str) -> Vec<HostEvent> {
        let args: Vec<String> = knob.split_whitespace().map(str::to_string).collect();
        self.estate.advance(self.now_ms);
        let before = self.estate.clone();
        let events = control::apply(&mut self.estate, &Fault::parse(&args).expect("a known knob")).expect("applies");
        self.estate.note_changes(&before, self.now_ms);
        events
    }

    pub fn running_on(&self, qm: &str) -> Vec<String> {
        let qm = self.estate.qmgr(qm).expect("a queue manager of the estate");
        self.estate.running_on(qm).iter().map(|n| n.name.clone()).collect()
    }
}
