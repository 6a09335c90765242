//! One shell script per host per refresh: each command's output followed by a marker line
//! carrying its exit status, so one channel answers for all of them.
//!
//! The script is assembled only from `Cmd`s built from validated names, every word
//! single-quoted; the marker carries a random nonce so no command output can forge it.

use super::exec::{Cmd, CmdOutput};

/// POSIX shell single-quoting: the word stays one word, nothing inside is interpreted.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

pub fn marker(nonce: &str) -> String {
    format!("@@rdqm-console:{nonce}")
}

/// `cmd 2>&1; printf '\n<marker> <i> %d\n' $?` for every command.
pub fn script(cmds: &[Cmd], nonce: &str) -> String {
    let mark = marker(nonce);
    let mut script = String::new();
    for (i, cmd) in cmds.iter().enumerate() {
        let words: Vec<String> = std::iter::once(&cmd.program).chain(&cmd.args).map(|w| quote(w)).collect();
        script.push_str(&format!("{} 2>&1 </dev/null; printf '\\n{mark} {i} %d\\n' \"$?\"\n", words.join(" ")));
    }
    script
}

/// Splits the script's output back into one output per command. A command whose marker is
/// missing (the script was cut short) gets no exit code and whatever output came.
pub fn split(output: &str, count: usize, nonce: &str) -> Vec<CmdOutput> {
    let mark = marker(nonce);
    let mut results = Vec::with_capacity(count);
    let mut rest = output;
    for i in 0..count {
        let needle = format!("\n{mark} {i} ");
        match rest.find(&needle) {
            Some(pos) => {
                let stdout = rest[..pos].to_string();
                let after = &rest[pos + needle.len()..];
                let line_end = after.find('\n').unwrap_or(after.len());
                let exit_code = after[..line_end].trim().parse().ok();
                rest = after.get(line_end + 1..).unwrap_or("");
                results.push(CmdOutput { stdout, stderr: String::new(), exit_code });
            }
            None => {
                results.push(CmdOutput { stdout: std::mem::take(&mut rest.to_string()), stderr: String::new(), exit_code: None });
                rest = "";
            }
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_hostile_words_inert() {
        assert_eq!(quote("DRHAQM1"), "'DRHAQM1'");
        assert_eq!(quote("a'b; rm -rf /"), "'a'\\''b; rm -rf /'");
    }

    #[test]
    fn splits_outputs_with_exit_codes() {
        let cmds = [Cmd::new("rdqmstatus", ["-m", "DRHAQM1"]), Cmd::new("rdqmstatus", ["-n"])];
        let s = script(&cmds, "abc");
        assert!(s.contains("'rdqmstatus' '-m' 'DRHAQM1' 2>&1"));
        let output = "Node: a\nline\n\n@@rdqm-console:abc 0 0\nNode b is online\n@@rdqm-console:abc 1 2\n";
        let parts = split(output, 2, "abc");
        assert_eq!(parts[0].stdout, "Node: a\nline\n");
        assert_eq!(parts[0].exit_code, Some(0));
        assert_eq!(parts[1].stdout, "Node b is online");
        assert_eq!(parts[1].exit_code, Some(2));
    }

    #[test]
    fn a_forged_marker_with_the_wrong_nonce_is_just_output() {
        let output = "\n@@rdqm-console:evil 0 0\nreal\n@@rdqm-console:good 0 1\n";
        let parts = split(output, 1, "good");
        assert_eq!(parts[0].exit_code, Some(1));
        assert!(parts[0].stdout.contains("evil"));
    }

    #[test]
    fn a_cut_short_script_reports_no_exit_code() {
        let parts = split("partial output", 2, "n");
        assert_eq!(parts[0].exit_code, None);
        assert_eq!(parts[0].stdout, "partial output");
        assert_eq!(parts[1], CmdOutput::default());
    }
}
