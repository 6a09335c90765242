//! `rdqm-sim`: the simulated estate's multi-call binary.
//!
//! Invoked through a link named `rdqmstatus`, `rdqmdr`, `rdqmadm`, `dspmq`, `drbdadm`,
//! `crm_mon`, `crm_resource` or `mqiptAdmin`, it
//! acts as that command on the host named by `RDQM_SIM_NODE` (set by the host's sshd), against
//! the state file `RDQM_SIM_STATE`, reading the host's own files (key repositories) under
//! `RDQM_SIM_HOSTS/<host>/` when set. Invoked as `rdqm-sim`, it is the lab's control command.

use clap::{Parser, Subcommand};
use sim::commands::{self, CLIENT_PROGRAMS, Invocation, MQ_PROGRAMS, MQIPT_PROGRAMS, SYSTEM_PROGRAMS};
use sim::control::{self, Fault, HostEvent};
use sim::fs::RealFs;
use sim::store::StateFile;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Parser)]
#[command(name = "rdqm-sim", about = "The simulated RDQM/MQIPT estate of rdqm-console's lab")]
struct Cli {
    /// The shared state file (default: $RDQM_SIM_STATE).
    #[arg(long, env = "RDQM_SIM_STATE")]
    state: PathBuf,
    #[command(subcommand)]
    command: Control,
}

#[derive(Subcommand)]
enum Control {
    /// Writes the reference estate (and its mqipt.conf unless one exists).
    Init {
        /// Where the bastion's mqipt.conf lives.
        #[arg(long)]
        mqipt_conf: PathBuf,
        /// Replace an existing state.
        #[arg(long)]
        force: bool,
        /// A factor on every simulated duration (1: realistic; 0: instant).
        #[arg(long, env = "LAB_TIME_SCALE", default_value_t = 1.0)]
        time_scale: f64,
        /// HA groups per region (1: the reference estate; see `reference::scaled_estate`).
        #[arg(long, env = "LAB_SCALE", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(sim::reference::MAX_SCALE)))]
        scale: u32,
    },
    /// Prints the whole simulated state as JSON.
    State,
    /// Sets a fault knob, e.g. `fault node-down wdc1-mq1`.
    Fault {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        knob: Vec<String>,
    },
    /// Queue managers, MQIPT and the nodes' tlshd load their key repositories, keystores and
    /// certificates, as they do when they start (`lab/up` runs it once the lab's certificates
    /// are laid out); the TLS channels start with what they loaded.
    StartTls,
    /// Runs a command as a host would, without SSH: `exec wdc1-mq1 rdqmstatus -m DRHAQM1`.
    Exec {
        host: String,
        program: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// How a pass under the shared lock ended.
enum Pass {
    Done(commands::Outcome),
    /// The host adds latency: wait, then try again.
    Wait(u64),
    /// The command writes the hosts' files: run it under the exclusive lock.
    Again,
}

/// Acts as `program` on `host`; prints and exits as the real command would.
fn act_as(state: &StateFile, host: &str, program: &str, args: &[String]) -> ExitCode {
    // Only runmqsc reads its standard input (MQSC commands); the others must not wait for it.
    let mut input = String::new();
    if program == "runmqsc" {
        let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut input);
    }
    let stdin = input.as_str();
    // sudo sets SUDO_COMMAND for what it runs (the lab's sudoers keeps the sim's variables).
    let via_sudo = std::env::var_os("SUDO_COMMAND").is_some();
    let mqserver = std::env::var("MQSERVER").ok();
    let fs = RealFs::from_env();
    // Added latency delays the command's arrival: it acts only after the wait. The first pass
    // (under the shared lock, which writes nothing unless the state changes) either acts at
    // once or only reports the latency to wait first. A pass under the shared lock may run
    // twice (again under the exclusive lock when the state changed), so it only reads the
    // hosts' files: a command that writes them runs once more, for real, under the exclusive
    // lock.
    let invocation = |now| Invocation { host, program, args, now_ms: now, stdin, via_sudo, mqserver: mqserver.as_deref() };
    let writes = commands::writes_files(&invocation(0));
    let pass = |estate: &mut sim::Estate, check_latency: bool| -> Pass {
        match estate.faults.latency_ms.get(host).copied() {
            Some(ms) if ms > 0 && check_latency => return Pass::Wait(ms),
            _ => {}
        }
        if writes {
            return Pass::Again;
        }
        let before = estate.clone();
        let probe = sim::fs::Probe::new(&fs);
        let outcome = commands::run(estate, &probe, &invocation(now_ms()));
        if probe.wrote() {
            *estate = before;
            return Pass::Again;
        }
        Pass::Done(outcome)
    };
    let mut first = state.run(|estate| pass(estate, true));
    if let Ok(Pass::Wait(ms)) = first {
        std::thread::sleep(Duration::from_millis(ms));
        first = state.run(|estate| pass(estate, false));
    }
    let outcome = match first {
        Ok(Pass::Done(outcome)) => Ok(outcome),
        Ok(_) => state.update(|estate| commands::run(estate, &fs, &invocation(now_ms()))),
        Err(e) => Err(e),
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("{program}: {e}");
            return ExitCode::from(70);
        }
    };
    if outcome.hang {
        // What it printed before it blocked (an MQGET waiting for a message) is seen.
        let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
        let _ = std::io::stdout().flush();
        std::thread::sleep(Duration::from_secs(24 * 3600));
    }
    // A role change returns only once it is done, as rdqmdr does.
    std::thread::sleep(Duration::from_millis(outcome.takes_ms));
    if outcome.cut_off {
        cut_off(&outcome.stdout);
    }
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    ExitCode::from(u8::try_from(outcome.code).unwrap_or(1))
}

/// Prints the first half of `stdout`, then drops the SSH connection as a failing network or
/// host would: the session's sshd process dies, so the client gets no exit status. Outside
/// SSH (no sshd above us) the process itself is killed.
fn cut_off(stdout: &str) -> ! {
    let half = stdout.char_indices().nth(stdout.chars().count() / 2).map_or(stdout.len(), |(i, _)| i);
    let mut out = std::io::stdout();
    let _ = out.write_all(&stdout.as_bytes()[..half]);
    let _ = out.flush();
    let target = session_sshd().unwrap_or_else(std::process::id);
    let _ = Command::new("kill").args(["-KILL", &target.to_string()]).status();
    // Only reached if the kill failed: still never a complete output or a clean status.
    std::process::abort()
}

/// The nearest ancestor process that is an sshd (the session's own, running as the lab user).
fn session_sshd() -> Option<u32> {
    let mut pid = std::process::id();
    for _ in 0..16 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // `pid (comm) state ppid …`; comm may hold spaces, so read after the last ')'.
        let (head, tail) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1;
        if comm == "sshd" && pid != std::process::id() {
            return Some(pid);
        }
        pid = tail.split_whitespace().nth(1)?.parse().ok()?;
        if pid <= 1 {
            return None;
        }
    }
    None
}

/// Tells the lab (through `RDQM_SIM_HOOK`) to stop or start a host's sshd.
fn run_hooks(events: &[HostEvent]) -> Result<(), String> {
    let Ok(hook) = std::env::var("RDQM_SIM_HOOK") else {
        return Ok(());
    };
    let on_off = |on: bool| if on { "on" } else { "off" };
    let mut i = 0;
    while i < events.len() {
        let event = &events[i];
        i += 1;
        let args: Vec<&str> = match event {
            // A run of hosts going down (or up) together, as a region's nodes do: one call.
            HostEvent::Down(h) | HostEvent::Up(h) => {
                let up = matches!(event, HostEvent::Up(_));
                let mut args = vec![if up { "up" } else { "down" }, h.as_str()];
                while let Some(HostEvent::Down(next) | HostEvent::Up(next)) = events.get(i) {
                    if matches!(events[i], HostEvent::Up(_)) != up {
                        break;
                    }
                    args.push(next);
                    i += 1;
                }
                args
            }
            HostEvent::Rekey(h) => vec!["rekey", h],
            HostEvent::RestoreKey(h) => vec!["restore-key", h],
            HostEvent::ConfReadonly(on) => vec!["conf-readonly", on_off(*on)],
            HostEvent::KeyRevoked { host, revoked } => vec!["key-revoke", host, on_off(*revoked)],
            HostEvent::DiskFull { host, on } => vec!["disk-full", host, on_off(*on)],
            HostEvent::Console { region, up } => vec![if *up { "console-up" } else { "console-down" }, region],
            HostEvent::Etcd { member, up } => vec![if *up { "etcd-up" } else { "etcd-down" }, member],
        };
        let status = Command::new(&hook).args(&args).status().map_err(|e| format!("{hook}: {e}"))?;
        if !status.success() {
            return Err(format!("{hook} {} failed with {status}", args.join(" ")));
        }
    }
    Ok(())
}

fn control(cli: Cli) -> Result<(), String> {
    let state = StateFile::new(&cli.state);
    match cli.command {
        Control::Init { mqipt_conf, force, time_scale, scale } => {
            if state.path().exists() && !force {
                // The time scale follows the lab's environment on every `lab/up`.
                return state
                    .update(|estate| estate.timing = sim::estate::Timing::lab(time_scale))
                    .map_err(|e| e.to_string());
            }
            if !mqipt_conf.exists() {
                std::fs::write(&mqipt_conf, sim::reference::mqipt_conf(scale))
                    .map_err(|e| format!("cannot write {}: {e}", mqipt_conf.display()))?;
            }
            let mut estate = sim::reference::scaled_estate(&mqipt_conf.to_string_lossy(), scale);
            estate.timing = sim::estate::Timing::lab(time_scale);
            state.write(&estate).map_err(|e| e.to_string())
        }
        Control::State => {
            let estate = state.read().map_err(|e| e.to_string())?;
            let json = serde_json::to_string_pretty(&estate).map_err(|e| e.to_string())?;
            println!("{json}");
            Ok(())
        }
        Control::Fault { knob } => {
            let fault = Fault::parse(&knob).map_err(|e| e.to_string())?;
            let events = state
                .update(|estate| {
                    estate.advance(now_ms());
                    let before = estate.clone();
                    let events = control::apply(estate, &fault);
                    estate.note_changes(&before, now_ms());
                    events
                })
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            run_hooks(&events)
        }
        Control::StartTls => {
            let fs = RealFs::from_env();
            state
                .update(|estate| {
                    let now = now_ms();
                    estate.advance(now);
                    for qm in &mut estate.qmgrs {
                        qm.tls = None;
                    }
                    for route in estate.bastions.iter_mut().flat_map(|b| b.mqipt.iter_mut()).flat_map(|i| i.active_routes.iter_mut()) {
                        route.tls = None;
                    }
                    for node in estate.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()) {
                        node.tlshd = None;
                    }
                    estate.tls_links.clear();
                    sim::tls::ensure_loaded(estate, &fs, now);
                    sim::tls::settle(estate, &fs, now);
                })
                .map_err(|e| e.to_string())
        }
        Control::Exec { .. } => Ok(()),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let invoked = argv.first().map(|a| a.rsplit('/').next().unwrap_or(a).to_string()).unwrap_or_default();
    if [MQ_PROGRAMS, MQIPT_PROGRAMS, SYSTEM_PROGRAMS, CLIENT_PROGRAMS].iter().any(|programs| programs.contains(&invoked.as_str())) {
        let (Ok(host), Ok(path)) = (std::env::var("RDQM_SIM_NODE"), std::env::var("RDQM_SIM_STATE")) else {
            eprintln!("{invoked}: RDQM_SIM_NODE and RDQM_SIM_STATE must name the simulated host and its state");
            return ExitCode::from(70);
        };
        return act_as(&StateFile::new(path), &host, &invoked, &argv[1..]);
    }
    let cli = Cli::parse();
    if let Control::Exec { host, program, args } = &cli.command {
        return act_as(&StateFile::new(&cli.state), host, program, args);
    }
    match control(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rdqm-sim: {e}");
            ExitCode::from(1)
        }
    }
}
