#!/usr/bin/env bash
# Set up the environment with test dependencies, start what the tests need, run the tests.
# The index tests start their own redis-server (OS package) and luigid (from luigi) on loopback;
# the Spark tests need pyspark (the [spark] extra) and a Java runtime (OS package);
# the report's browser tests drive Debian's headless chromium through chromium-driver.
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh test,spark
bash scripts/install_redis.sh
bash scripts/install_spark.sh
bash scripts/install_browser.sh
.venv/bin/python -m pytest "$@"
