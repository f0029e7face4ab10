//! The config file, and the CLI's `--connect-ports` list.
//!
//! Invariants:
//! - `Config::parse` never panics, whatever the text;
//! - a parsed config saved with `to_json` parses back to an equal config, which saves to the
//!   same text (what the app saves, it loads again unchanged);
//! - `ConnectPorts::parse` never panics, and what it parses prints as text that parses back
//!   equal, allowing the same ports.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wicket::config::{Config, ConnectPorts};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::parse(text) {
        let saved = config.to_json();
        let loaded = Config::parse(&saved)
            .unwrap_or_else(|e| panic!("the saved config does not load: {e}\n{saved}"));
        assert_eq!(
            loaded, config,
            "the saved config loads as another one:\n{saved}"
        );
        assert_eq!(loaded.to_json(), saved, "saving is not stable");
    }
    if let Ok(ports) = ConnectPorts::parse(text) {
        let printed = ports.to_string();
        let again = ConnectPorts::parse(&printed)
            .unwrap_or_else(|e| panic!("{printed:?} (from {text:?}) does not parse back: {e}"));
        assert_eq!(again, ports, "{printed:?} parses to other ports");
        for port in [0, 1, 80, 443, 8443, 65535] {
            assert_eq!(again.allows(port), ports.allows(port));
        }
    }
});
