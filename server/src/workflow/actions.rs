//! Carrying out one action of a plan on a host, and checking what it did.

use crate::fleet::{Cmd, CmdOutput, ExecError, RemoteExec};
use crate::fleet::poller::Poller;
use model::plan::{Action, Verify};
use model::rdqmstatus;
use model::status::{DrRole, QmStatus};
use std::time::Duration;

/// What one action did.
#[derive(Debug, Clone, Default)]
pub struct Done {
    pub output: CmdOutput,
    /// Why it failed, when it did (the command could not run, or refused).
    pub failure: Option<String>,
}

const TIMEOUT: Duration = Duration::from_secs(60);

fn failed(e: &ExecError) -> Done {
    Done { output: CmdOutput::default(), failure: Some(e.to_string()) }
}

async fn exec(exec: &dyn RemoteExec, host: &str, cmd: Cmd, stdin: Option<&[u8]>) -> Result<CmdOutput, ExecError> {
    exec.run(host, &cmd, stdin, TIMEOUT).await
}

fn exit_failure(cmd: &str, out: &CmdOutput) -> Option<String> {
    match out.exit_code {
        Some(0) => None,
        Some(code) => Some(format!("{cmd} exited with {code}")),
        None => Some(format!("{cmd} ended without an exit code")),
    }
}

/// `sha256sum PATH` on the host.
async fn remote_sha256(exec_: &dyn RemoteExec, host: &str, path: &str) -> Result<String, String> {
    let out = exec(exec_, host, Cmd::new("sha256sum", [path]), None).await.map_err(|e| e.to_string())?;
    if let Some(f) = exit_failure("sha256sum", &out) {
        return Err(format!("{f}: {}", out.stderr.trim()));
    }
    out.stdout.split_whitespace().next().map(str::to_string).ok_or_else(|| "sha256sum printed nothing".into())
}

/// Runs `action` on `host`.
pub async fn perform(exec_: &dyn RemoteExec, host: &str, action: &Action) -> Done {
    match action {
        Action::Exec { program, args } => match exec(exec_, host, Cmd::new(program.clone(), args.clone()), None).await {
            Ok(output) => Done { failure: exit_failure(program, &output), output },
            Err(e) => failed(&e),
        },
        Action::Backup { path, to } => match exec(exec_, host, Cmd::new("cp", ["-p", path.as_str(), to.as_str()]), None).await {
            Ok(output) => Done { failure: exit_failure("cp", &output), output },
            Err(e) => failed(&e),
        },
        Action::WriteFile { path, contents, expect_sha256, .. } => write_file(exec_, host, path, contents, expect_sha256.as_deref()).await,
        Action::CheckEstate => Done::default(),
        Action::Mqsc { qmgr, commands } => {
            let script = commands.iter().map(|c| format!("{c}\n")).collect::<String>();
            match exec(exec_, host, Cmd::new("runmqsc", [qmgr.as_str()]), Some(script.as_bytes())).await {
                Ok(output) => Done { failure: mqsc_failure(qmgr, &output), output },
                Err(e) => failed(&e),
            }
        }
        Action::CopyFile { from_host, from_path, to_path, append } => copy_file(exec_, from_host, from_path, host, to_path, *append).await,
        // The engine carries it out with the uploaded certificate (`write_certificate`).
        Action::AwaitCertificate { .. } => Done { output: CmdOutput::default(), failure: Some("no signed certificate was uploaded".into()) },
    }
}

/// Writes an uploaded certificate (PEM) to `path` on the host, atomically.
pub async fn write_certificate(exec_: &dyn RemoteExec, host: &str, path: &str, pem: &str) -> Done {
    match exec(exec_, host, Cmd::new("sh", ["-c", CREATE_FILE_SCRIPT, "rdqm-console-copy", path, "replace"]), Some(pem.as_bytes())).await {
        Ok(output) => {
            let failure = match output.exit_code {
                Some(0) if output.stdout.trim() == sha256_hex(pem.as_bytes()) => None,
                Some(0) => Some(format!("{path} on {host} does not hold what was uploaded")),
                Some(code) => Some(format!("writing {path} on {host} failed (exit {code}): {}", output.stderr.trim())),
                None => Some(format!("writing {path} on {host}: the command ended without an exit code")),
            };
            Done { failure, output }
        }
        Err(e) => failed(&e),
    }
}

/// runmqsc ends 10 when a command failed and 20 when it could not run at all.
fn mqsc_failure(qmgr: &str, out: &CmdOutput) -> Option<String> {
    match out.exit_code {
        Some(0) => None,
        Some(code) => {
            let said = out.stdout.lines().find(|l| l.starts_with("AMQ") && l.contains('E')).unwrap_or("").trim().to_string();
            Some(format!("runmqsc {qmgr} exited with {code}{}", if said.is_empty() { String::new() } else { format!(": {said}") }))
        }
        None => Some(format!("runmqsc {qmgr} ended without an exit code")),
    }
}

/// Creates or replaces `path` atomically (temporary file beside it, then rename) with stdin,
/// or with `$2` = append the file's own text then stdin, printing the SHA-256 of what was
/// added. `$1` the file.
const CREATE_FILE_SCRIPT: &str = r#"set -u
f=$1; append=$2
tmp=$(mktemp -- "$f.rdqm-console-tmp.XXXXXX") || exit 4
trap 'rm -f -- "$tmp"' EXIT
if [ "$append" = append ]; then
  cat -- "$f" > "$tmp" || exit 4
  [ -z "$(tail -c1 -- "$tmp")" ] || echo >> "$tmp"
  start=$(wc -c < "$tmp")
  cat >> "$tmp" || exit 4
  chmod --reference="$f" -- "$tmp" || exit 4
else
  start=0
  cat > "$tmp" || exit 4
  chmod 644 -- "$tmp" || exit 4
fi
sync -- "$tmp" || exit 4
mv -f -- "$tmp" "$f" || exit 4
trap - EXIT
tail -c +$((start + 1)) -- "$f" | sha256sum | cut -d' ' -f1
"#;

/// `scp FROM_HOST:FROM TO`, through the console's SSH sessions: read there, written here,
/// and the copy's SHA-256 compared with the original's.
async fn copy_file(exec_: &dyn RemoteExec, from_host: &str, from_path: &str, host: &str, to_path: &str, append: bool) -> Done {
    let read = match exec(exec_, from_host, Cmd::new("cat", [from_path]), None).await {
        Ok(out) if out.exit_code == Some(0) => out,
        Ok(out) => return Done { failure: Some(format!("reading {from_path} on {from_host} failed: {}", out.stderr.trim())), output: out },
        Err(e) => return failed(&e),
    };
    let want = sha256_hex(read.stdout.as_bytes());
    match exec(exec_, host, Cmd::new("sh", ["-c", CREATE_FILE_SCRIPT, "rdqm-console-copy", to_path, if append { "append" } else { "replace" }]), Some(read.stdout.as_bytes())).await {
        Ok(output) => {
            let failure = match output.exit_code {
                Some(0) if output.stdout.trim() == want => None,
                Some(0) => Some(format!("the copy of {from_path} on {host} has SHA-256 {}, the original {want}", output.stdout.trim())),
                Some(code) => Some(format!("writing {to_path} on {host} failed (exit {code}): {}", output.stderr.trim())),
                None => Some(format!("writing {to_path} on {host}: the command ended without an exit code")),
            };
            Done { failure, output }
        }
        Err(e) => failed(&e),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The compare-and-swap write of a file, as one script on its host (so no other writer can
/// slip in between the check and the write): under an exclusive lock on the directory, check
/// the file's SHA-256, write the new text (stdin) to a temporary file beside it with the
/// original's mode and owner, fsync it, rename it over the original, fsync the directory.
/// Exit 3: the file changed (nothing written); anything else non-zero: nothing replaced.
/// `$1` the file, `$2` the SHA-256 it must have (empty: do not check).
pub const REPLACE_FILE_SCRIPT: &str = r#"set -u
f=$1; want=$2; dir=$(dirname -- "$f")
exec 9<"$dir" || exit 4
flock -w 10 9 || { echo "rdqm-console: cannot lock $dir" >&2; exit 5; }
if [ -n "$want" ]; then
  have=$(sha256sum < "$f" | cut -d' ' -f1) || exit 4
  if [ "$have" != "$want" ]; then echo "rdqm-console: $f changed: sha256 $have, expected $want; nothing written" >&2; exit 3; fi
fi
tmp=$(mktemp -- "$f.rdqm-console-tmp.XXXXXX") || exit 4
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp" || exit 4
chmod --reference="$f" -- "$tmp" || exit 4
chown --reference="$f" -- "$tmp" 2>/dev/null || true
sync -- "$tmp" || exit 4
mv -f -- "$tmp" "$f" || exit 4
trap - EXIT
sync -- "$dir" || true
sha256sum < "$f" | cut -d' ' -f1
"#;

/// The command that runs [`REPLACE_FILE_SCRIPT`] for `path` (contents on its stdin).
pub fn replace_file_cmd(path: &str, expect_sha256: Option<&str>) -> Cmd {
    Cmd::new("sh", ["-c", REPLACE_FILE_SCRIPT, "rdqm-console-replace", path, expect_sha256.unwrap_or("")])
}

/// Compare-and-swap write of `path` (see [`REPLACE_FILE_SCRIPT`]).
async fn write_file(exec_: &dyn RemoteExec, host: &str, path: &str, contents: &str, expect: Option<&str>) -> Done {
    match exec(exec_, host, replace_file_cmd(path, expect), Some(contents.as_bytes())).await {
        Ok(output) => {
            let failure = match output.exit_code {
                Some(0) => None,
                Some(3) => Some(format!("{path} changed since planning; nothing written: {}", output.stderr.trim())),
                Some(code) => Some(format!("writing {path} failed (exit {code}); the file was not replaced: {}", output.stderr.trim())),
                None => Some(format!("writing {path}: the command ended without an exit code")),
            };
            Done { failure, output }
        }
        Err(e) => failed(&e),
    }
}

/// Checks the result of an action; `Ok(what was found)` or `Err(why not)`.
pub async fn verify(exec_: &dyn RemoteExec, poller: &Poller, host: &str, verify: &Verify, done: &Done) -> Result<String, String> {
    match verify {
        Verify::NoFailCounts { resource, nodes } => {
            let out = exec(exec_, host, Cmd::new("crm_mon", ["--one-shot", "--inactive", "--output-as=xml"]), None).await.map_err(|e| e.to_string())?;
            let crm = model::crm::parse(&out.stdout);
            if let Some(e) = crm.error {
                return Err(format!("crm_mon on {host}: {e}"));
            }
            let left: Vec<String> = nodes.iter().filter(|n| crm.fail_count(n, resource) > 0).cloned().collect();
            if left.is_empty() {
                Ok(format!("crm_mon on {host}: no fail-count for {resource} on {}", nodes.join(", ")))
            } else {
                Err(format!("crm_mon on {host}: {resource} still has fail-counts on {}", left.join(", ")))
            }
        }
        Verify::DrNormal { .. } | Verify::NothingRunsOn { .. } | Verify::RunsOn { .. } | Verify::Preferred { .. } => {
            verify_more(exec_, poller, host, verify).await
        }
        Verify::CertPresent { .. } | Verify::CertAbsent { .. } | Verify::ChannelPresents { .. } | Verify::TlsClientConnects { .. } | Verify::PemCertificate { .. } => {
            crate::workflow::cert_checks::verify(exec_, host, verify, done).await
        }
        Verify::ClientConnects { qmgr, conname, channel, timeout_secs } => {
            let established = format!("Connection established to queue manager {qmgr}");
            // amqscnxc pads the name to 48 columns.
            let connected = |out: &CmdOutput| out.stdout.lines().any(|l| l.trim_end() == established);
            if connected(&done.output) {
                return Ok(format!("amqscnxc on {host}: {established}"));
            }
            poll_until(*timeout_secs, || async {
                let out = exec(exec_, host, Cmd::new("amqscnxc", ["-x", conname.as_str(), "-c", channel.as_str(), qmgr.as_str()]), None)
                    .await
                    .map_err(|e| e.to_string())?;
                if connected(&out) {
                    Ok(format!("amqscnxc on {host}: {established}"))
                } else {
                    let said = format!("{}{}", out.stdout, out.stderr);
                    let reason = said.lines().find(|l| l.contains("reason code")).unwrap_or("no connection");
                    Err(format!("amqscnxc on {host}: {reason}"))
                }
            })
            .await
        }
        Verify::ExitZero => match done.output.exit_code {
            Some(0) => Ok("exit code 0".into()),
            other => Err(format!("exit code {other:?}")),
        },
        Verify::OutputContains { text } => {
            let all = format!("{}{}", done.output.stdout, done.output.stderr);
            if done.output.exit_code == Some(0) && all.contains(text.as_str()) {
                Ok(format!("the output says {text}"))
            } else {
                Err(format!("expected {text} in the output (exit code {:?})", done.output.exit_code))
            }
        }
        Verify::DrRole { qmgr, role } => {
            let view = qm_view(exec_, host, qmgr).await?;
            let actual = view.dr.as_ref().map(|d| d.role.clone());
            if actual.as_ref() == Some(role) {
                Ok(format!("rdqmstatus on {host}: DR role {role}"))
            } else {
                Err(format!("rdqmstatus on {host}: DR role {}", actual.map_or("missing".into(), |r| r.to_string())))
            }
        }
        Verify::RunningHere { qmgr, timeout_secs } => {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(*timeout_secs);
            loop {
                let seen = qm_view(exec_, host, qmgr).await;
                if let Ok(view) = &seen {
                    let primary = view.dr.as_ref().is_some_and(|d| d.role == DrRole::Primary);
                    if primary && view.qm_status == QmStatus::Running {
                        return Ok(format!("rdqmstatus on {host}: {qmgr} Running, DR role Primary"));
                    }
                }
                if tokio::time::Instant::now() >= deadline {
                    // Each poll above is one rdqmstatus; the last one tells why it failed.
                    return Err(match seen {
                        Ok(view) => format!("after {timeout_secs} s rdqmstatus on {host} says {} with DR role {}", view.qm_status, view.dr.map_or("missing".into(), |d| d.role.to_string())),
                        Err(e) => format!("after {timeout_secs} s: {e}"),
                    });
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        Verify::FileHash { path, sha256 } => match remote_sha256(exec_, host, path).await {
            Ok(actual) if &actual == sha256 => Ok(format!("sha256 of {path} is as expected")),
            Ok(actual) => Err(format!("sha256 of {path} is {actual}, expected {sha256}")),
            Err(e) => Err(e),
        },
        Verify::Estate { qmgr, region, check_route, ignore_unreachable } => {
            let snapshot = poller.refresh().await;
            let Some(qm) = snapshot.qmgrs.iter().find(|q| &q.name == qmgr) else {
                return Err(format!("{qmgr} is missing from the estate"));
            };
            let mut problems = Vec::new();
            if qm.dr_primary_regions != [region.clone()] {
                problems.push(format!("DR primary in [{}], expected only {region}", qm.dr_primary_regions.join(", ")));
            }
            if !ignore_unreachable && !qm.last_known_primary_regions.is_empty() {
                problems.push(format!("[{}] do not answer and were DR primary", qm.last_known_primary_regions.join(", ")));
            }
            let running_in_region = qm.running_nodes.iter().all(|n| snapshot.regions.iter().any(|r| &r.name == region && r.nodes.iter().any(|x| &x.name == n)));
            if qm.running_nodes.is_empty() || !running_in_region {
                problems.push(format!("running on [{}]", qm.running_nodes.join(", ")));
            }
            if *check_route {
                let route = qm.route.as_ref().and_then(|r| snapshot.routes.iter().find(|v| v.instance == r.instance && v.listener_port == r.listener_port.to_string()));
                match route {
                    Some(r) if r.destination_region.as_deref() == Some(region.as_str()) => {}
                    Some(r) => problems.push(format!("route {} points at {}", r.listener_port, r.destination.clone().unwrap_or_default())),
                    None => problems.push("its route is missing".into()),
                }
            }
            if problems.is_empty() {
                Ok(format!("{qmgr}: DR primary only in {region}, running on {}", qm.running_nodes.join(", ")))
            } else {
                Err(format!("{qmgr}: {}", problems.join("; ")))
            }
        }
    }
}

/// Polls `probe` every half second until it says yes or `timeout_secs` pass.
async fn poll_until<F, Fut>(timeout_secs: u64, mut probe: F) -> Result<String, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<String, String>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        let outcome = probe().await;
        if outcome.is_ok() || tokio::time::Instant::now() >= deadline {
            return outcome.map_err(|e| format!("after {timeout_secs} s: {e}"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The extra verifications of DR and HA maintenance.
async fn verify_more(exec_: &dyn RemoteExec, poller: &Poller, host: &str, verify: &Verify) -> Result<String, String> {
    match verify {
        Verify::DrNormal { qmgr, timeout_secs } => {
            poll_until(*timeout_secs, || async {
                let view = qm_view(exec_, host, qmgr).await?;
                let status = view.dr.as_ref().and_then(|d| d.status.clone()).map_or("missing".to_string(), |s| s.to_string());
                if status == "Normal" { Ok(format!("rdqmstatus on {host}: DR status Normal")) } else { Err(format!("DR status {status}")) }
            })
            .await
        }
        Verify::NothingRunsOn { node, timeout_secs } => {
            poll_until(*timeout_secs, || async {
                let snapshot = poller.refresh().await;
                let here: Vec<&str> = snapshot.qmgrs.iter().filter(|q| q.running_nodes.iter().any(|n| n == node)).map(|q| q.name.as_str()).collect();
                if here.is_empty() { Ok(format!("no queue manager runs on {node}")) } else { Err(format!("{} still on {node}", here.join(", "))) }
            })
            .await
        }
        Verify::RunsOn { node, qmgrs, timeout_secs } => {
            poll_until(*timeout_secs, || async {
                let snapshot = poller.refresh().await;
                let missing: Vec<&str> = qmgrs
                    .iter()
                    .filter(|q| !snapshot.qmgrs.iter().any(|v| &v.name == *q && v.running_nodes.iter().any(|n| n == node)))
                    .map(String::as_str)
                    .collect();
                if missing.is_empty() { Ok(format!("{} run on {node}", qmgrs.join(", "))) } else { Err(format!("{} not on {node}", missing.join(", "))) }
            })
            .await
        }
        Verify::Preferred { qmgr, node } => {
            let view = qm_view(exec_, host, qmgr).await?;
            match view.ha_preferred_location {
                Some(p) if &p == node => Ok(format!("rdqmstatus on {host}: HA preferred location {node}")),
                other => Err(format!("rdqmstatus on {host}: HA preferred location {}", other.unwrap_or_else(|| "None".into()))),
            }
        }
        _ => Err("not a DR or HA maintenance check".into()),
    }
}

async fn qm_view(exec_: &dyn RemoteExec, host: &str, qmgr: &str) -> Result<rdqmstatus::QmStatusView, String> {
    let out = exec(exec_, host, Cmd::new("rdqmstatus", ["-m", qmgr]), None).await.map_err(|e| e.to_string())?;
    let text = format!("{}{}", out.stdout, out.stderr);
    rdqmstatus::parse(&text).qm_view().ok_or_else(|| format!("rdqmstatus -m {qmgr} on {host} printed nothing the console understands: {}", text.trim()))
}
