//! Windows: the LAN connection's proxy settings through WinINet's per-connection options (what
//! the Internet Options dialog and Windows' proxy settings page write), then the change is
//! broadcast so that running programs pick it up.
//!
//! The keys are the per-connection options: `server` and `bypass` (text, `None` when unset)
//! and `flags` (the decimal `PROXY_TYPE_*` bits: direct, manual proxy, PAC URL, auto-detect).
//! Wicket sets the flags to "direct or manual proxy", which also pauses a PAC URL or automatic
//! detection the user had; restoring the flags brings them back.

use super::plan::{Setting, Settings};
use super::Target;
use crate::i18n::Message;
use crate::messages as msg;

/// `PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY`: use the proxy, except for the bypass list.
pub const FLAGS_MANUAL: u32 = 0x1 | 0x2;

/// The keys Wicket writes, in the order they are written to switch the proxy on.
pub const KEYS: [&str; 3] = ["server", "bypass", "flags"];

/// What Wicket wants in each key, and remarks on bypass entries Windows cannot take.
pub fn wanted(target: &Target) -> (Settings, Vec<Message>) {
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let server = format!("http={host}:{port};https={host}:{port}", port = target.port);
    let mut notes = Vec::new();
    let bypass: Vec<String> = target
        .bypass
        .iter()
        .filter_map(|entry| {
            let mapped = bypass_entry(entry);
            if mapped.is_none() {
                notes.push(Message::new(&msg::WINDOWS_NO_NETWORK).with("entry", entry));
            }
            mapped
        })
        .collect();
    let settings = vec![
        Setting::new("server", Some(&server)),
        // An empty list is no list: WinINet may read back either.
        Setting::new(
            "bypass",
            (!bypass.is_empty()).then(|| bypass.join(";")).as_deref(),
        ),
        Setting::new("flags", Some(&FLAGS_MANUAL.to_string())),
    ];
    (settings, notes)
}

/// A bypass entry in Windows' syntax: names, `*` patterns and `<local>` as they are, IPv6
/// addresses in brackets, IPv4 networks on a byte boundary as patterns (`127.*`). Other
/// networks have no Windows form.
pub fn bypass_entry(entry: &str) -> Option<String> {
    let Some((net, bits)) = entry.split_once('/') else {
        return Some(if entry.parse::<std::net::Ipv6Addr>().is_ok() {
            format!("[{entry}]")
        } else {
            entry.to_string()
        });
    };
    let addr: std::net::Ipv4Addr = net.parse().ok()?;
    let octets = addr.octets();
    let kept = match bits.parse::<u8>().ok()? {
        0 => return Some("*".to_string()),
        8 => 1,
        16 => 2,
        24 => 3,
        32 => return Some(addr.to_string()),
        _ => return None,
    };
    let mut parts: Vec<String> = octets[..kept].iter().map(u8::to_string).collect();
    parts.push("*".to_string());
    Some(parts.join("."))
}

#[cfg(windows)]
pub use store::WinInet;

#[cfg(windows)]
mod store {
    //! The WinINet calls. Each write sets one option of the LAN connection; reads query all.

    use std::ffi::c_void;
    use std::io;
    use std::ptr;

    use super::super::plan::{Setting, Settings};
    use super::super::Error;

    const INTERNET_OPTION_REFRESH: u32 = 37;
    const INTERNET_OPTION_SETTINGS_CHANGED: u32 = 39;
    const INTERNET_OPTION_PER_CONNECTION_OPTION: u32 = 75;
    const INTERNET_PER_CONN_FLAGS: u32 = 1;
    const INTERNET_PER_CONN_PROXY_SERVER: u32 = 2;
    const INTERNET_PER_CONN_PROXY_BYPASS: u32 = 3;

    #[repr(C)]
    #[derive(Clone, Copy)]
    struct FileTime {
        low: u32,
        high: u32,
    }

    #[repr(C)]
    #[derive(Clone, Copy)]
    union OptionValue {
        number: u32,
        text: *mut u16,
        time: FileTime,
    }

    #[repr(C)]
    struct PerConnOption {
        option: u32,
        value: OptionValue,
    }

    #[repr(C)]
    struct PerConnOptionList {
        size: u32,
        connection: *mut u16,
        count: u32,
        error: u32,
        options: *mut PerConnOption,
    }

    #[link(name = "wininet")]
    extern "system" {
        fn InternetQueryOptionW(
            internet: *mut c_void,
            option: u32,
            buffer: *mut c_void,
            length: *mut u32,
        ) -> i32;
        fn InternetSetOptionW(
            internet: *mut c_void,
            option: u32,
            buffer: *mut c_void,
            length: u32,
        ) -> i32;
    }

    #[link(name = "kernel32")]
    extern "system" {
        fn GlobalFree(memory: *mut c_void) -> *mut c_void;
    }

    fn option_id(key: &str) -> Result<u32, Error> {
        match key {
            "flags" => Ok(INTERNET_PER_CONN_FLAGS),
            "server" => Ok(INTERNET_PER_CONN_PROXY_SERVER),
            "bypass" => Ok(INTERNET_PER_CONN_PROXY_BYPASS),
            _ => Err(Error::failed(format!(
                "{key:?} is not a WinINet proxy option"
            ))),
        }
    }

    /// The LAN connection's settings through WinINet.
    pub struct WinInet;

    impl WinInet {
        pub fn read(&self, keys: &[String]) -> Result<Settings, Error> {
            let mut options: Vec<PerConnOption> = keys
                .iter()
                .map(|k| {
                    Ok(PerConnOption {
                        option: option_id(k)?,
                        value: OptionValue { number: 0 },
                    })
                })
                .collect::<Result<_, Error>>()?;
            let mut list = PerConnOptionList {
                size: std::mem::size_of::<PerConnOptionList>() as u32,
                connection: ptr::null_mut(),
                count: options.len() as u32,
                error: 0,
                options: options.as_mut_ptr(),
            };
            let mut length = list.size;
            // SAFETY: the list and its options live until the call returns; WinINet fills in
            // the values, allocating strings that are freed below.
            let ok = unsafe {
                InternetQueryOptionW(
                    ptr::null_mut(),
                    INTERNET_OPTION_PER_CONNECTION_OPTION,
                    &mut list as *mut _ as *mut c_void,
                    &mut length,
                )
            };
            if ok == 0 {
                return Err(Error::failed(format!(
                    "cannot read the proxy settings (InternetQueryOption): {}",
                    io::Error::last_os_error()
                )));
            }
            Ok(keys
                .iter()
                .zip(&options)
                .map(|(key, option)| {
                    // SAFETY: the union holds what the option id says: a number for the flags,
                    // a string WinINet allocated (or null) for the others.
                    let value = unsafe {
                        if option.option == INTERNET_PER_CONN_FLAGS {
                            Some(option.value.number.to_string())
                        } else {
                            take_string(option.value.text)
                        }
                    };
                    Setting {
                        key: key.clone(),
                        value,
                    }
                })
                .collect())
        }

        pub fn write(&self, key: &str, value: Option<&str>) -> Result<(), Error> {
            let id = option_id(key)?;
            let mut wide: Vec<u16>;
            let value = if id == INTERNET_PER_CONN_FLAGS {
                let flags = value.unwrap_or("1").parse::<u32>().map_err(|_| {
                    Error::failed(format!("{value:?} is not a WinINet flags value"))
                })?;
                OptionValue { number: flags }
            } else {
                match value {
                    Some(text) => {
                        wide = text.encode_utf16().chain(Some(0)).collect();
                        OptionValue {
                            text: wide.as_mut_ptr(),
                        }
                    }
                    None => OptionValue {
                        text: ptr::null_mut(),
                    },
                }
            };
            let mut option = PerConnOption { option: id, value };
            let mut list = PerConnOptionList {
                size: std::mem::size_of::<PerConnOptionList>() as u32,
                connection: ptr::null_mut(),
                count: 1,
                error: 0,
                options: &mut option,
            };
            // SAFETY: the list, the option and the string live until the call returns.
            let ok = unsafe {
                InternetSetOptionW(
                    ptr::null_mut(),
                    INTERNET_OPTION_PER_CONNECTION_OPTION,
                    &mut list as *mut _ as *mut c_void,
                    list.size,
                )
            };
            if ok == 0 {
                return Err(Error::failed(format!(
                    "cannot set the proxy option {key} (InternetSetOption): {}",
                    io::Error::last_os_error()
                )));
            }
            Ok(())
        }

        /// Tells running programs that the settings changed, and to reload them.
        pub fn announce(&self) -> Result<(), Error> {
            for option in [INTERNET_OPTION_SETTINGS_CHANGED, INTERNET_OPTION_REFRESH] {
                // SAFETY: these options take no buffer.
                let ok = unsafe { InternetSetOptionW(ptr::null_mut(), option, ptr::null_mut(), 0) };
                if ok == 0 {
                    return Err(Error::failed(format!(
                        "cannot tell programs that the proxy changed: {}",
                        io::Error::last_os_error()
                    )));
                }
            }
            Ok(())
        }
    }

    /// Copies a string WinINet allocated, then frees it.
    unsafe fn take_string(text: *mut u16) -> Option<String> {
        if text.is_null() {
            return None;
        }
        let mut len = 0;
        while *text.add(len) != 0 {
            len += 1;
        }
        let value = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        GlobalFree(text as *mut c_void);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sysproxy::plan::value_of;

    #[test]
    fn wanted_sets_http_and_https_and_manual_mode_last() {
        let bypass =
            ["localhost", "127.0.0.0/8", "::1", "<local>", "10.1.0.0/20"].map(String::from);
        let (settings, notes) = wanted(&Target::new("127.0.0.1:12345".parse().unwrap(), &bypass));
        assert_eq!(
            value_of(&settings, "server"),
            Some("http=127.0.0.1:12345;https=127.0.0.1:12345")
        );
        assert_eq!(
            value_of(&settings, "bypass"),
            Some("localhost;127.*;[::1];<local>")
        );
        assert_eq!(settings.last().unwrap(), &Setting::new("flags", Some("3")));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].to_string().contains("10.1.0.0/20"), "{notes:?}");
    }

    #[test]
    fn bypass_entries_take_windows_forms() {
        assert_eq!(bypass_entry("*.lan").as_deref(), Some("*.lan"));
        assert_eq!(bypass_entry("192.168.0.0/16").as_deref(), Some("192.168.*"));
        assert_eq!(
            bypass_entry("192.168.1.0/24").as_deref(),
            Some("192.168.1.*")
        );
        assert_eq!(bypass_entry("10.0.0.7/32").as_deref(), Some("10.0.0.7"));
        assert_eq!(bypass_entry("0.0.0.0/0").as_deref(), Some("*"));
        assert_eq!(bypass_entry("fe80::1").as_deref(), Some("[fe80::1]"));
        assert_eq!(bypass_entry("10.0.0.0/12"), None);
    }

    #[test]
    fn an_ipv6_listener_is_written_in_brackets() {
        let (settings, _) = wanted(&Target::new("[::1]:8080".parse().unwrap(), &[]));
        assert_eq!(
            value_of(&settings, "server"),
            Some("http=[::1]:8080;https=[::1]:8080")
        );
        assert_eq!(value_of(&settings, "bypass"), None);
    }
}
