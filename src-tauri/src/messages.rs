//! The desktop app's catalogue of sentences made in Rust: the tray menu and tooltip, and what
//! commands answer when they refuse (the window shows them as they come, in its language). The
//! window's own texts are in `ui/i18n/`; the engine's in `wicket::messages`.

use wicket::catalogue;

catalogue! {
    // The tray.
    TRAY_STARTING { en: "Starting…", zh: "正在启动…" }
    TRAY_PROXY_ON { en: "Proxy on", zh: "开启代理" }
    TRAY_SYSTEM_PROXY { en: "Use as system proxy", zh: "用作系统代理" }
    TRAY_SYSTEM_PROXY_FAILED { en: "Use as system proxy (failed: open Wicket)", zh: "用作系统代理（失败：请打开 Wicket）" }
    TRAY_SYSTEM_PROXY_UNAVAILABLE {
        en: "Use as system proxy (not possible here: open Wicket)",
        zh: "用作系统代理（此处无法设置：请打开 Wicket）",
    }
    TRAY_SYSTEM_PROXY_WAITING { en: "Use as system proxy (when the proxy runs)", zh: "用作系统代理（代理运行时生效）" }
    TRAY_OPEN { en: "Open Wicket", zh: "打开 Wicket" }
    TRAY_QUIT { en: "Quit", zh: "退出" }
    /// `{requests}`, `{blocked}`: formatted numbers. One request.
    TRAY_COUNTS_ONE { en: "{requests} request · {blocked} blocked", zh: "{requests} 个请求 · 已屏蔽 {blocked} 个" }
    /// `{requests}`, `{blocked}`: formatted numbers.
    TRAY_COUNTS { en: "{requests} requests · {blocked} blocked", zh: "{requests} 个请求 · 已屏蔽 {blocked} 个" }
    /// `{address}`, `{counts}`
    TRAY_RUNNING { en: "Running on {address} · {counts}", zh: "正在 {address} 上运行 · {counts}" }
    /// `{error}`
    TRAY_NOT_RUNNING { en: "Not running: {error}", zh: "未运行：{error}" }
    /// `{counts}`
    TRAY_OFF_COUNTS { en: "Off · {counts}", zh: "已关闭 · {counts}" }
    TRAY_OFF { en: "Off", zh: "已关闭" }
    /// `{address}`
    TOOLTIP_ON { en: "Wicket: on ({address})", zh: "Wicket：已开启（{address}）" }
    /// `{error}`
    TOOLTIP_NOT_RUNNING { en: "Wicket: not running: {error}", zh: "Wicket：未运行：{error}" }
    TOOLTIP_OFF { en: "Wicket: off", zh: "Wicket：已关闭" }
    /// `{text}`: the tooltip so far.
    TOOLTIP_SYSTEM_PROXY { en: "{text} · system proxy", zh: "{text} · 系统代理" }
    /// `{text}`: the tooltip so far; `{error}`
    TOOLTIP_SYSTEM_PROXY_FAILED { en: "{text} · system proxy not set: {error}", zh: "{text} · 系统代理未设置：{error}" }

    // Settings.
    /// `{address}`: quoted.
    SETTINGS_NOT_AN_IP {
        en: "{address} is not an IP address (for example 127.0.0.1 for this computer only, or 0.0.0.0 for every network)",
        zh: "{address} 不是 IP 地址（例如 127.0.0.1 表示仅限本机，0.0.0.0 表示所有网络）",
    }
    SETTINGS_PORT { en: "the port must be a number from 1 to 65535", zh: "端口必须是 1 到 65535 之间的数字" }
    SETTINGS_TIMEOUT_NUMBER { en: "expected a whole number of seconds", zh: "应为整数秒" }
    SETTINGS_TIMEOUT_RANGE { en: "expected 1 to 86400 seconds", zh: "应为 1 到 86400 秒" }
    /// `{tag}`: quoted.
    SETTINGS_LANGUAGE { en: "{tag} is not a language Wicket speaks (en, zh-CN, or auto)", zh: "Wicket 不支持语言 {tag}（可选 en、zh-CN 或 auto）" }

    // Saving the config.
    /// `{path}`
    SAVE_KEPT_BROKEN {
        en: "changes are not saved, so that {path} is not overwritten: fix or move that file, then restart Wicket",
        zh: "更改未保存，以免覆盖 {path}：请修复或移走该文件，然后重启 Wicket",
    }
    SAVE_NO_DIRECTORY { en: "changes are not saved: this system has no config directory", zh: "更改未保存：这个系统没有配置目录" }
    /// `{detail}`
    SAVE_FAILED { en: "saving failed: {detail}", zh: "保存失败：{detail}" }

    // The parent's PIN.
    PIN_EMPTY { en: "Type a PIN or a passphrase.", zh: "请输入 PIN 码或密码短语。" }
    /// `{min}`
    PIN_TOO_SHORT { en: "A PIN needs at least {min} characters.", zh: "PIN 码至少需要 {min} 个字符。" }
    /// `{max}`
    PIN_TOO_LONG { en: "A passphrase can have at most {max} characters.", zh: "密码短语最多 {max} 个字符。" }
    /// `{detail}`
    PIN_NOT_HASHED { en: "the PIN could not be hashed: {detail}", zh: "无法计算 PIN 码的哈希：{detail}" }
    PIN_NEEDED { en: "This needs the parent's PIN.", zh: "此操作需要家长 PIN 码。" }
    PIN_WRONG { en: "Wrong PIN.", zh: "PIN 码错误。" }
    /// `{secs}`
    PIN_WAIT { en: "Too many wrong attempts: try again in {secs} s.", zh: "错误次数过多：请在 {secs} 秒后重试。" }

    // Named lists and imports.
    LIST_NO_NAME { en: "A list needs a name.", zh: "列表需要一个名称。" }
    /// `{max}`
    LIST_NAME_TOO_LONG { en: "A list name has at most {max} characters.", zh: "列表名称最多 {max} 个字符。" }
    LIST_NAME_CONTROL { en: "A list name cannot hold control characters.", zh: "列表名称中不能有控制字符。" }
    /// `{name}`: quoted.
    LIST_EXISTS { en: "There is a list named {name} already.", zh: "已经有名为 {name} 的列表。" }
    /// `{name}`: quoted.
    LIST_MISSING { en: "There is no list named {name}.", zh: "没有名为 {name} 的列表。" }
    IMPORT_REPLACED { en: "This import was replaced by another one: start it again.", zh: "这次导入已被另一次导入取代：请重新开始。" }
    /// `{line}`, `{after}`
    IMPORT_LOST_PLACE {
        en: "The import lost its place (line {line} came after line {after}): start it again.",
        zh: "导入的位置出错（第 {line} 行出现在第 {after} 行之后）：请重新开始。",
    }

    // History.
    /// `{min}`, `{max}`
    HISTORY_DAYS { en: "History can be kept for {min} to {max} days.", zh: "历史记录可保留 {min} 到 {max} 天。" }
    HISTORY_NO_HOME { en: "this system has no home folder to save the file in", zh: "这个系统没有可以保存文件的主文件夹" }
    /// `{path}`, `{detail}`
    HISTORY_NOT_WRITTEN { en: "{path} could not be written: {detail}", zh: "无法写入 {path}：{detail}" }
    HISTORY_NO_DIRECTORY {
        en: "this system has no data directory: the history is kept until Wicket quits",
        zh: "这个系统没有数据目录：历史记录只保留到 Wicket 退出",
    }
    /// `{path}`, `{detail}`, `{aside}`
    HISTORY_FILE_KEPT {
        en: "the history file {path} could not be used ({detail}); it was kept as {aside} and a new one started",
        zh: "历史记录文件 {path} 无法使用（{detail}）；它已保存为 {aside}，并已新建一个",
    }
    /// `{path}`, `{detail}`
    HISTORY_FILE_UNUSABLE {
        en: "the history file {path} cannot be used ({detail}): the history is kept until Wicket quits",
        zh: "历史记录文件 {path} 无法使用（{detail}）：历史记录只保留到 Wicket 退出",
    }
    /// `{detail}`
    HISTORY_NOT_SAVED { en: "the history could not be saved: {detail}", zh: "无法保存历史记录：{detail}" }
    /// `{detail}`
    HISTORY_UNREADABLE { en: "the history cannot be read: {detail}", zh: "无法读取历史记录：{detail}" }
    /// `{day}`: quoted.
    HISTORY_BAD_DAY { en: "{day} is not a day (YYYY-MM-DD)", zh: "{day} 不是日期（YYYY-MM-DD）" }

    // Start at login.
    AUTOSTART_UNAVAILABLE { en: "starting at login is not available here", zh: "此处无法设置登录时启动" }
    AUTOSTART_STILL_THERE { en: "the login entry is still there after switching it off", zh: "关闭后登录启动项仍然存在" }
    AUTOSTART_STILL_MISSING { en: "the login entry is still missing after switching it on", zh: "开启后登录启动项仍然不存在" }

    // The system proxy, as the window shows it.
    SYSTEM_PROXY_NO_DIRECTORY {
        en: "Wicket has no config directory to keep your current proxy settings in, so it does not change them",
        zh: "Wicket 没有配置目录来保存你当前的代理设置，因此不会修改它们",
    }
    /// `{platform}`, `{address}`
    SYSTEM_PROXY_RECOVERED {
        en: "Your {platform} pointed at {address} when Wicket last stopped without cleaning up; they were given back.",
        zh: "Wicket 上次未能正常退出时，你的{platform}指向 {address}；现已恢复。",
    }
    /// `{error}`
    SYSTEM_PROXY_NOT_RECOVERED {
        en: "The proxy settings a previous Wicket changed could not be given back: {error}. Run `wicket --restore-system-proxy`, or set them back by hand.",
        zh: "之前的 Wicket 修改的代理设置未能恢复：{error}。请运行 `wicket --restore-system-proxy`，或手动改回。",
    }
    /// `{error}`
    SYSTEM_PROXY_NOT_RESTORED {
        en: "{error}. Run `wicket --restore-system-proxy`, or set them back by hand.",
        zh: "{error}。请运行 `wicket --restore-system-proxy`，或手动改回。",
    }
    /// `{detail}`
    SYSTEM_PROXY_UNFINISHED { en: "The system proxy change did not finish: {detail}", zh: "系统代理的修改没有完成：{detail}" }

    // Allowlist warnings.
    ALLOW_NOBODY { en: "No client is allowed: every request to the proxy is refused.", zh: "没有允许任何客户端：发往代理的所有请求都会被拒绝。" }
    /// `{entries}`, `{port}`
    ALLOW_EVERYONE {
        en: "{entries} allows every address: anyone who can reach this computer on port {port} can use your connection through Wicket.",
        zh: "{entries} 允许所有地址：任何能访问这台电脑 {port} 端口的人，都可以通过 Wicket 使用你的网络连接。",
    }
    /// `{entries}`, `{port}`, `{ip}`
    ALLOW_EVERYONE_LOOPBACK {
        en: "{entries} allows every address: anyone who can reach this computer on port {port} can use your connection through Wicket. For now Wicket listens on {ip}, so only this computer can reach it.",
        zh: "{entries} 允许所有地址：任何能访问这台电脑 {port} 端口的人，都可以通过 Wicket 使用你的网络连接。目前 Wicket 在 {ip} 上监听，因此只有这台电脑能访问它。",
    }
    /// `{entry}`, `{ip}`: one network.
    ALLOW_NO_EFFECT_ONE {
        en: "{entry} has no effect: Wicket listens on {ip}, which only this computer can reach. To let other devices in, set the listen address to 0.0.0.0 (or this computer's network address) in Settings.",
        zh: "{entry} 不会生效：Wicket 在 {ip} 上监听，只有这台电脑能访问。要让其他设备使用，请在“设置”中把监听地址改为 0.0.0.0（或这台电脑的网络地址）。",
    }
    /// `{entries}`, `{ip}`: several networks.
    ALLOW_NO_EFFECT_MANY {
        en: "{entries} have no effect: Wicket listens on {ip}, which only this computer can reach. To let other devices in, set the listen address to 0.0.0.0 (or this computer's network address) in Settings.",
        zh: "{entries} 不会生效：Wicket 在 {ip} 上监听，只有这台电脑能访问。要让其他设备使用，请在“设置”中把监听地址改为 0.0.0.0（或这台电脑的网络地址）。",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_message_is_translated_with_the_same_placeholders() {
        let problems = wicket::i18n::catalogue_problems(super::ALL);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
