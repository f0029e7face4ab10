//! The engine's catalogue: every sentence it says to a person (why a rule, an address or a time
//! window was refused, why the proxy cannot listen, what the system proxy settings could not
//! take, what went wrong with a request), in every language side by side. The command line and
//! the logs say them in English; the desktop app in its user's language, a browser page in the
//! language of its `Accept-Language` (see [`crate::i18n::Message`]). The pages' own texts
//! (titles, explanations) are in [`crate::i18n::Texts`].
//!
//! Values are quoted by the code that fills them in (`"bad..com"`, `'é'`), the way the command
//! line has always shown them.

use crate::catalogue;

catalogue! {
    // Site rules (the blocklist, named lists, allowed sites, imports).
    RULE_EMPTY { en: "a rule cannot be empty", zh: "规则不能为空" }
    RULE_REGEX_EMPTY { en: "the regular expression after 're:' is empty", zh: "“re:”后面的正则表达式是空的" }
    /// `{detail}`: the regex crate's own words.
    RULE_REGEX_BAD { en: "bad regular expression: {detail}", zh: "正则表达式有误：{detail}" }
    RULE_URL_NO_HOST { en: "the URL has no host", zh: "这个网址没有主机名" }
    RULE_SPACES { en: "a rule cannot contain spaces (one rule per entry)", zh: "规则中不能有空格（每条只写一条规则）" }
    RULE_PATH { en: "write just the site's name, without a path", zh: "只写网站的名称，不要带路径" }
    /// `{port}`
    RULE_PORT { en: "rules match every port; write the rule without ':{port}'", zh: "规则对所有端口都有效；请去掉“:{port}”" }
    RULE_STAR { en: "'*' is allowed only as a leading '*.' (as in *.example.com)", zh: "“*”只能以“*.”的形式写在开头（如 *.example.com）" }
    DOMAIN_EMPTY { en: "the domain is empty", zh: "域名是空的" }
    DOMAIN_NOT_ASCII {
        en: "write international domain names in their xn-- form (as the browser's address bar shows on copy)",
        zh: "国际化域名请写成 xn-- 形式（从浏览器地址栏复制时显示的形式）",
    }
    /// `{max}`
    DOMAIN_TOO_LONG { en: "a domain is at most {max} characters long", zh: "域名最长 {max} 个字符" }
    DOMAIN_EMPTY_LABEL {
        en: "the domain has an empty label (two dots in a row, or a leading dot)",
        zh: "域名中有空的部分（连续两个点，或以点开头）",
    }
    /// `{max}`
    DOMAIN_LABEL_TOO_LONG { en: "a part between dots is at most {max} characters long", zh: "两个点之间的部分最长 {max} 个字符" }
    /// `{char}`: quoted.
    DOMAIN_BAD_CHAR { en: "{char} is not allowed in a domain name", zh: "域名中不能有 {char}" }
    DOMAIN_NUMERIC { en: "this is neither a domain name nor a complete IP address", zh: "这既不是域名，也不是完整的 IP 地址" }

    // The client allowlist.
    CLIENT_EMPTY { en: "an entry cannot be empty", zh: "条目不能为空" }
    /// `{address}`: quoted.
    CLIENT_NOT_AN_ADDRESS { en: "{address} is not an IPv4 or IPv6 address", zh: "{address} 不是 IPv4 或 IPv6 地址" }
    /// `{prefix}`: quoted.
    CLIENT_NOT_A_PREFIX { en: "{prefix} is not a prefix length", zh: "{prefix} 不是前缀长度" }
    /// `{max}`: 32 or 128.
    CLIENT_PREFIX_RANGE { en: "the prefix length must be 0 to {max}", zh: "前缀长度必须在 0 到 {max} 之间" }
    CLIENT_EXPECTED {
        en: "expected an IP address or a network like 192.168.1.0/24",
        zh: "应为 IP 地址或网段，如 192.168.1.0/24",
    }

    // Schedules' time windows.
    /// `{text}`: quoted.
    WINDOW_NEEDS_DAYS {
        en: "{text} needs days and times, as in \"Mon-Fri 16:00-19:00\"",
        zh: "{text} 需要写明星期和时间，如“Mon-Fri 16:00-19:00”",
    }
    /// `{text}`: quoted.
    WINDOW_NOT_A_RANGE { en: "{text} is not a time range such as 16:00-19:00", zh: "{text} 不是时间段，应如 16:00-19:00" }
    WINDOW_STARTS_AT_24 { en: "a window cannot start at 24:00", zh: "时间段不能从 24:00 开始" }
    WINDOW_EMPTY_DAY {
        en: "00:00-00:00 is empty; write 00:00-24:00 for a whole day",
        zh: "00:00-00:00 是空的；全天请写 00:00-24:00",
    }
    WINDOW_SAME_TIME { en: "a window must not start and end at the same time", zh: "时间段的开始和结束不能是同一时刻" }
    /// `{name}`: quoted.
    WINDOW_NOT_A_DAY {
        en: "{name} is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)",
        zh: "{name} 不是星期（Mon、Tue、Wed、Thu、Fri、Sat、Sun）",
    }
    WINDOW_NO_DAYS { en: "no days given", zh: "没有写星期" }
    /// `{text}`: quoted.
    WINDOW_NOT_A_TIME { en: "{text} is not a time such as 07:30 or 21:00", zh: "{text} 不是时间，应如 07:30 或 21:00" }

    // Settings.
    /// `{part}`: quoted.
    PORTS_NOT_A_PORT {
        en: "{part} is not a port (expected 1-65535, a comma-separated list, or 'any')",
        zh: "{part} 不是端口（应为 1-65535，可用逗号分隔多个，或写 any）",
    }
    BYPASS_EMPTY { en: "a bypass entry cannot be empty", zh: "直连条目不能为空" }
    BYPASS_TOO_LONG { en: "a bypass entry is at most 253 characters long", zh: "直连条目最长 253 个字符" }
    /// `{char}`: quoted.
    BYPASS_BAD_CHAR {
        en: "{char} cannot appear in a bypass entry (write a host name, an address, a network like 10.0.0.0/8, or <local>)",
        zh: "直连条目中不能有 {char}（请写主机名、地址、网段如 10.0.0.0/8，或 <local>）",
    }
    BYPASS_IPV6_NET {
        en: "IPv6 networks cannot be bypassed by a PAC file; list addresses instead",
        zh: "PAC 文件无法让 IPv6 网段直连；请改为逐个列出地址",
    }

    // The listener.
    /// `{address}`
    LISTEN_IN_USE {
        en: "cannot listen on {address}: the address is already in use (is another proxy running?)",
        zh: "无法在 {address} 上监听：该地址已被占用（是否有另一个代理在运行？）",
    }
    /// `{address}`
    LISTEN_NO_SUCH_ADDRESS {
        en: "cannot listen on {address}: this computer has no such address",
        zh: "无法在 {address} 上监听：这台电脑没有这个地址",
    }
    /// `{address}`
    LISTEN_PERMISSION {
        en: "cannot listen on {address}: permission denied (ports below 1024 need privileges)",
        zh: "无法在 {address} 上监听：权限不足（1024 以下的端口需要特权）",
    }
    /// `{address}`, `{detail}`: the OS's words.
    LISTEN_OTHER { en: "cannot listen on {address}: {detail}", zh: "无法在 {address} 上监听：{detail}" }

    // The system proxy settings.
    PLATFORM_GNOME { en: "GNOME proxy settings (gsettings)", zh: "GNOME 代理设置（gsettings）" }
    PLATFORM_KDE { en: "KDE proxy settings (kioslaverc)", zh: "KDE 代理设置（kioslaverc）" }
    PLATFORM_WINDOWS { en: "Windows proxy settings", zh: "Windows 代理设置" }
    PLATFORM_MACOS { en: "macOS network proxy settings", zh: "macOS 网络代理设置" }
    NO_DESKTOP {
        en: "no desktop session was found (XDG_CURRENT_DESKTOP is not set), so there is no system proxy setting Wicket knows how to change",
        zh: "没有找到桌面会话（未设置 XDG_CURRENT_DESKTOP），因此没有 Wicket 会修改的系统代理设置",
    }
    /// `{desktop}`
    UNKNOWN_DESKTOP {
        en: "this desktop ({desktop}) has no system proxy setting Wicket knows how to change (it knows GNOME and its family, and KDE Plasma)",
        zh: "这个桌面（{desktop}）没有 Wicket 会修改的系统代理设置（Wicket 支持 GNOME 及其同类桌面，以及 KDE Plasma）",
    }
    /// `{pid}`
    OWNED_BY { en: "another Wicket (process {pid}) manages the system proxy settings", zh: "另一个 Wicket（进程 {pid}）正在管理系统代理设置" }
    OWNED { en: "another Wicket process manages the system proxy settings", zh: "另一个 Wicket 进程正在管理系统代理设置" }
    /// `{detail}`: what a tool or the OS said, as it said it.
    DETAIL { en: "{detail}", zh: "{detail}" }
    /// `{platform}`, `{detail}`
    NOT_TAKEN { en: "the {platform} did not take Wicket's values: {detail}", zh: "{platform}没有接受 Wicket 的设置：{detail}" }
    /// `{error}`
    FAILED_AND_RESTORED { en: "{error}; your previous settings are back", zh: "{error}；你原来的设置已恢复" }
    /// `{error}`, `{again}`
    FAILED_NOT_RESTORED {
        en: "{error}; putting your previous settings back failed too: {again} (run `wicket --restore-system-proxy` to try again)",
        zh: "{error}；恢复你原来的设置也失败了：{again}（可运行 `wicket --restore-system-proxy` 重试）",
    }
    /// `{platform}`, `{detail}`
    NOT_RESTORED { en: "could not restore your previous {platform}: {detail}", zh: "无法恢复你原来的{platform}：{detail}" }
    /// `{detail}`
    NOT_ANNOUNCED_ON {
        en: "{detail}: programs already running may use their old proxy until restarted",
        zh: "{detail}：已在运行的程序在重启前可能仍使用原来的代理",
    }
    /// `{detail}`
    NOT_ANNOUNCED_OFF {
        en: "{detail}: programs already running may use Wicket's address until restarted",
        zh: "{detail}：已在运行的程序在重启前可能仍使用 Wicket 的地址",
    }
    GNOME_NO_LOCAL {
        en: "GNOME has no setting for plain host names (<local>): they go through Wicket",
        zh: "GNOME 没有针对不带点的主机名（<local>）的设置：它们会经过 Wicket",
    }
    MACOS_NO_LOCAL {
        en: "macOS sets plain host names (<local>) apart with “Exclude simple hostnames” in Network settings, Proxies: Wicket cannot switch it on",
        zh: "macOS 通过“网络”设置中“代理”里的“排除简单主机名”来处理不带点的主机名（<local>）：Wicket 无法替你打开它",
    }
    /// `{entry}`
    WINDOWS_NO_NETWORK {
        en: "Windows cannot bypass the network {entry}: list its addresses, or a pattern such as 10.1.*",
        zh: "Windows 无法让网段 {entry} 直连：请列出它的地址，或使用 10.1.* 这样的模式",
    }

    // Failed requests: the detail under an error page's "Details:" (and in the log), the plain
    // answers to CONNECT. `{detail}` is what the OS or the HTTP parser said, as it said it.
    /// `{max}`
    REQUEST_TOO_MANY_LINES { en: "the request has more than {max} header lines", zh: "请求的头部超过 {max} 行" }
    /// `{detail}`: the HTTP parser's words.
    REQUEST_MALFORMED { en: "malformed request: {detail}", zh: "请求格式有误：{detail}" }
    /// `{max}`
    REQUEST_HEAD_TOO_LARGE { en: "the request head is larger than {max} bytes", zh: "请求头部超过 {max} 字节" }
    /// `{max}`
    REQUEST_URI_TOO_LONG { en: "the address is longer than {max} bytes", zh: "网址超过 {max} 字节" }
    CONNECT_NEEDS_AUTHORITY {
        en: "CONNECT needs a target of the form host:port",
        zh: "CONNECT 的目标必须写成 主机:端口 的形式",
    }
    TARGET_NOT_A_URL { en: "the request target is not a URL", zh: "请求的目标不是网址" }
    /// `{scheme}`
    TARGET_SCHEME {
        en: "Wicket forwards http:// URLs (and https:// through CONNECT), not {scheme}://",
        zh: "Wicket 转发 http:// 网址（https:// 通过 CONNECT 转发），不转发 {scheme}://",
    }
    TARGET_FRAGMENT { en: "a request target cannot contain a #fragment", zh: "请求的目标中不能有 #片段" }
    TARGET_USERINFO {
        en: "user names and passwords in URLs are not forwarded",
        zh: "网址中的用户名和密码不会被转发",
    }
    TARGET_HOST_OR_PORT { en: "the URL's host or port is invalid", zh: "网址的主机名或端口无效" }
    REQUEST_HOST_TWICE { en: "the request has more than one Host header", zh: "请求中有不止一个 Host 头" }
    REQUEST_LENGTH_AND_CHUNKED {
        en: "the request has both Content-Length and Transfer-Encoding",
        zh: "请求同时带有 Content-Length 和 Transfer-Encoding",
    }
    REQUEST_HTTP10_CHUNKED {
        en: "an HTTP/1.0 request cannot use Transfer-Encoding",
        zh: "HTTP/1.0 请求不能使用 Transfer-Encoding",
    }
    REQUEST_CODINGS_NOT_CHUNKED {
        en: "the request's Transfer-Encoding does not end in a single chunked",
        zh: "请求的 Transfer-Encoding 不是以唯一一个 chunked 结尾",
    }
    REQUEST_CODINGS_SPLIT { en: "send Transfer-Encoding as one header line", zh: "Transfer-Encoding 必须写在同一行头部中" }
    REQUEST_LENGTH_INVALID {
        en: "the request's Content-Length is invalid or conflicting",
        zh: "请求的 Content-Length 无效或相互矛盾",
    }
    /// `{seconds}`
    REQUEST_HEAD_TIMEOUT {
        en: "the request head was not complete within {seconds} s",
        zh: "请求头部在 {seconds} 秒内没有传完",
    }
    REQUEST_BODY_NOT_CHUNKED { en: "the request body is not valid chunked coding", zh: "请求正文不是有效的分块编码" }
    /// `{why}`: one of the `CHUNK_` entries.
    REQUEST_BODY_NOT_CHUNKED_BECAUSE {
        en: "the request body is not valid chunked coding: {why}",
        zh: "请求正文不是有效的分块编码：{why}",
    }
    CHUNK_SIZE_LINE_TOO_LONG { en: "chunk-size line too long", zh: "分块大小行过长" }
    CHUNK_SIZE_INVALID { en: "invalid chunk size", zh: "分块大小无效" }
    CHUNK_NO_CRLF { en: "chunk data not followed by CRLF", zh: "分块数据后面没有 CRLF" }
    CHUNK_TRAILERS_TOO_LARGE { en: "trailers too large", zh: "尾部字段过大" }
    CHUNK_TRAILER_INVALID { en: "invalid trailer", zh: "尾部字段无效" }
    TOO_MANY_CONNECTIONS {
        en: "this computer has too many connections open to the proxy; try again in a moment",
        zh: "这台电脑向代理打开的连接过多；请稍后再试",
    }
    /// `{port}`, `{allowed}`: the allowed ports, comma-separated.
    CONNECT_PORT_NOT_ALLOWED {
        en: "CONNECT to port {port} is not allowed (allowed: {allowed})",
        zh: "不允许 CONNECT 到端口 {port}（允许的端口：{allowed}）",
    }
    /// `{host}`, `{port}`
    CONNECT_TO_SELF { en: "{host}:{port} is this proxy itself", zh: "{host}:{port} 就是这个代理本身" }
    ABOUT_SENT_TO_PROXY {
        en: "This request was sent to the proxy itself, not through it.",
        zh: "此请求是发给代理本身的，而不是通过代理发出的。",
    }
    ABOUT_ADDRESSED_TO_PROXY {
        en: "This request was addressed to the proxy itself.",
        zh: "此请求的目标地址就是代理本身。",
    }
    /// `{host}`, `{rule}`
    CONNECT_BLOCKED_BY_RULE {
        en: "Blocked by Wicket: {host} matches the rule {rule}",
        zh: "已被 Wicket 屏蔽：{host} 符合规则 {rule}",
    }
    /// `{host}`, `{rule}`, `{list}`
    CONNECT_BLOCKED_BY_LIST {
        en: "Blocked by Wicket: {host} matches the rule {rule} of the list {list}",
        zh: "已被 Wicket 屏蔽：{host} 符合“{list}”列表中的规则 {rule}",
    }
    /// `{host}`
    CONNECT_NOT_ALLOWED {
        en: "Blocked by Wicket: {host} is not on the allowed list",
        zh: "已被 Wicket 屏蔽：{host} 不在允许列表中",
    }

    // The site (upstream) a request goes to.
    /// `{host}`, `{seconds}`
    LOOKUP_TIMEOUT { en: "looking up {host} took longer than {seconds} s", zh: "查找 {host} 用时超过 {seconds} 秒" }
    /// `{host}`, `{detail}`: the resolver's words.
    NAME_NOT_FOUND { en: "the name {host} could not be found ({detail})", zh: "找不到名称 {host}（{detail}）" }
    /// `{host}`
    NAME_NO_ADDRESS { en: "the name {host} has no address", zh: "名称 {host} 没有地址" }
    NO_ADDRESS { en: "no address", zh: "没有地址" }
    /// `{host}`, `{port}`
    UPSTREAM_IS_SELF {
        en: "{host}:{port} is this proxy itself; the request would loop",
        zh: "{host}:{port} 就是这个代理本身；请求会陷入循环",
    }
    /// `{host}`, `{port}`, `{seconds}`
    CONNECT_TIMEOUT {
        en: "{host}:{port} did not accept a connection within {seconds} s",
        zh: "{host}:{port} 在 {seconds} 秒内没有接受连接",
    }
    /// `{host}`, `{port}`, `{detail}`: the OS's words, or [`NO_ADDRESS`].
    CONNECT_FAILED { en: "could not connect to {host}:{port} ({detail})", zh: "无法连接到 {host}:{port}（{detail}）" }
    /// `{detail}`: the OS's words.
    SEND_FAILED { en: "sending the request upstream failed ({detail})", zh: "向网站发送请求失败（{detail}）" }
    /// `{seconds}`
    SITE_TIMEOUT { en: "the site did not answer within {seconds} s", zh: "该网站在 {seconds} 秒内没有响应" }
    SITE_CLOSED_EARLY {
        en: "the site closed the connection without answering",
        zh: "该网站没有响应就关闭了连接",
    }
    SITE_CLOSED_MIDWAY {
        en: "the site closed the connection in the middle of its answer",
        zh: "该网站在响应到一半时关闭了连接",
    }
    /// `{detail}`: the OS's words.
    SITE_CONNECTION_FAILED { en: "the connection to the site failed ({detail})", zh: "与该网站的连接失败（{detail}）" }
    SITE_SWITCHED_PROTOCOLS {
        en: "the site switched protocols without being asked to",
        zh: "该网站在未被要求的情况下切换了协议",
    }
    SITE_BAD_CHUNKED { en: "the site sent an invalid chunked body", zh: "该网站发送的分块正文无效" }
    RESPONSE_HEAD_TOO_LARGE { en: "the upstream's response head is too large", zh: "网站的响应头部过大" }
    /// `{detail}`: the HTTP parser's words.
    RESPONSE_MALFORMED { en: "the upstream sent an invalid response: {detail}", zh: "网站发送的响应无效：{detail}" }
    /// `{status}`: three digits.
    RESPONSE_STATUS {
        en: "the upstream sent the invalid status code {status}",
        zh: "网站发送了无效的状态码 {status}",
    }
    RESPONSE_LENGTH { en: "the upstream sent an invalid Content-Length", zh: "网站发送的 Content-Length 无效" }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_message_is_translated_with_the_same_placeholders() {
        let problems = crate::i18n::catalogue_problems(super::ALL);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
