#!/usr/bin/env bash
# Installs what the report tests need: Debian's headless-capable `chromium` (for the HTML report test
# in tests/report_browser.rs). Idempotent: does nothing when /usr/bin/chromium already exists.
# The font used by the charts is vendored in assets/fonts/ and needs no install.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "install-browser: chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo unknown)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "install-browser: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
