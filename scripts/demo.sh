#!/usr/bin/env bash
# Set up the environment and run the pipeline on the bundled sample corpus, with its HTML report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh report
out=${1:-demo-out}
.venv/bin/storydedup run --input sample --output "$out" --workers 2 --report
echo
.venv/bin/storydedup stats --output "$out"
