//! Running the platform's own settings tools (gsettings, kwriteconfig5, networksetup): every
//! run is checked, and a failure says which command failed, how, and what it printed.

use std::ffi::{OsStr, OsString};
use std::io;
use std::process::{Command, Stdio};

use super::Error;

/// How the tools are run: extra environment variables for them (an isolated settings backend
/// in tests, another user's session...). The default runs them in Wicket's own environment.
#[derive(Clone, Debug, Default)]
pub struct Tools {
    env: Vec<(OsString, OsString)>,
}

impl Tools {
    /// Runs the tools with `key=value` added to their environment.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Tools {
        self.env
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// Runs `program` with `args`; its standard output, or an error naming the command.
    /// `package` says where to get the program when it is missing.
    pub fn run(&self, program: &str, args: &[&str], package: &str) -> Result<String, Error> {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let shown = shown(program, args);
        let output = cmd.output().map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::failed(format!("{program} is not installed ({package})"))
            } else {
                Error::failed(format!("cannot run {shown}: {e}"))
            }
        })?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let said = first_words(&stderr).or_else(|| first_words(&stdout));
            return Err(Error::failed(match said {
                Some(said) => format!("{shown} failed ({}): {said}", output.status),
                None => format!("{shown} failed ({})", output.status),
            }));
        }
        Ok(stdout)
    }
}

/// A command as a user could type it (arguments with spaces or quotes are quoted).
pub fn shown(program: &str, args: &[&str]) -> String {
    let mut text = program.to_string();
    for arg in args {
        text.push(' ');
        if arg.is_empty() || arg.contains([' ', '\'', '"', '[', ']', '*', '<', '>', '$']) {
            text.push('"');
            text.push_str(&arg.replace('\\', "\\\\").replace('"', "\\\""));
            text.push('"');
        } else {
            text.push_str(arg);
        }
    }
    text
}

/// The meaningful lines of a tool's message, joined (GLib's warnings included), or none.
fn first_words(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join(" ").chars().take(400).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_as_typed() {
        assert_eq!(
            shown(
                "gsettings",
                &["set", "org.gnome.system.proxy", "mode", "'manual'"]
            ),
            "gsettings set org.gnome.system.proxy mode \"'manual'\""
        );
        assert_eq!(
            shown("kwriteconfig5", &["--group", "Proxy Settings", ""]),
            "kwriteconfig5 --group \"Proxy Settings\" \"\""
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_command_is_reported_with_its_status_and_message() {
        let tools = Tools::default().env("WICKET_TEST_WORD", "refused");
        let err = tools
            .run(
                "sh",
                &["-c", "echo $WICKET_TEST_WORD >&2; exit 3"],
                "a shell",
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("exit status: 3"), "{err}");
        assert!(err.ends_with("refused"), "{err}");
        let missing = tools
            .run("wicket-no-such-tool", &[], "package x")
            .unwrap_err()
            .to_string();
        assert_eq!(missing, "wicket-no-such-tool is not installed (package x)");
        assert_eq!(tools.run("sh", &["-c", "echo ok"], "").unwrap(), "ok\n");
    }
}
