#!/usr/bin/env bash
# Install a Java runtime (17 or later, what Spark 4 needs) from the OS packages if there is none;
# pyspark itself comes from the package index through the [spark] extra (scripts/setup_env.sh).
set -euo pipefail
java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
}
if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ] 2>/dev/null; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "installing a Java runtime (for Spark) with apt-get" >&2
$sudo apt-get update -qq
for package in default-jre-headless openjdk-17-jre-headless; do
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null || continue
  if [ "$(java_major)" -ge 17 ] 2>/dev/null; then
    exit 0
  fi
done
echo "install_spark.sh: no Java 17 or later could be installed (Spark needs one)" >&2
exit 1
