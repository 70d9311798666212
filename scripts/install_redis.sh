#!/usr/bin/env bash
# Install redis-server from the OS packages if it is missing (the Redis index backend and its
# tests need a real server; the tests start their own on a free loopback port).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "installing redis-server with apt-get" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
