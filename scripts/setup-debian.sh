#!/usr/bin/env bash
# Installs what Wicket needs on Debian 12, and only what is missing. Idempotent; run as root
# (or as a user with sudo). Usage: scripts/setup-debian.sh [engine|app|test|bench]...
#   engine  a C toolchain for building the engine and the headless CLI
#   app     + WebKitGTK and AppIndicator, to build and run the desktop app
#   test    + Xvfb and WebKitWebDriver (and tauri-driver), to test the app in its real webview,
#           and gsettings and kwriteconfig5, to test the system proxy against the real tools
#   bench   + nginx, tinyproxy and wrk, for bench/run.sh
set -euo pipefail

engine=(build-essential pkg-config curl ca-certificates)
# fonts-wqy-microhei: a CJK font, so that the window and the tray can speak Chinese.
app=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev fonts-wqy-microhei)
test=(xvfb xauth webkit2gtk-driver dbus-x11 trayer xdotool x11-utils imagemagick nodejs
  libglib2.0-bin gsettings-desktop-schemas libkf5config-bin)
bench=(nginx-light tinyproxy wrk procps python3 curl)

want=("${engine[@]}")
need_driver=0
for part in "${@:-engine}"; do
  case "$part" in
    engine) ;;
    app) want+=("${app[@]}") ;;
    test) want+=("${app[@]}" "${test[@]}"); need_driver=1 ;;
    bench) want+=("${bench[@]}") ;;
    *) echo "setup-debian.sh: unknown part '$part' (engine, app, test, bench)" >&2; exit 2 ;;
  esac
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Rust: use the toolchain that is there; install one with rustup only if there is none.
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing Rust with rustup" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy >&2
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

if [ "$need_driver" = 1 ] && ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver" >&2
  cargo install tauri-driver --locked --version '^2' --quiet
fi
