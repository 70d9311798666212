#!/usr/bin/env bash
# Install headless Chromium and its WebDriver from the OS packages if they are missing (the
# run report's browser tests drive /usr/bin/chromium through /usr/bin/chromedriver).
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "installing chromium and chromium-driver with apt-get" >&2
# Wait for another apt run (e.g. an unattended upgrade) instead of failing on its lock.
apt=($sudo apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
"${apt[@]}" update -qq
DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq chromium chromium-driver >/dev/null
