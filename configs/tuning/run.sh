#!/usr/bin/env bash
# Re-runs every tuning sweep of docs/neural-protocol.md (stage 1: IID, stage 2: the skew), each
# into reports/tuning/<name>; finished points are cached, so an interrupted run resumes.
# Usage: bash configs/tuning/run.sh [--jobs N]
set -euo pipefail
cd "$(dirname "$0")/../.."
for cfg in mixture-iid mixture-spectral-iid mnist1d-mae-iid mnist1d-simsiam-iid mixture-skew mixture-skew-spectral mnist1d-skew-mae mnist1d-skew-simsiam; do
  dssl neural "configs/tuning/$cfg.toml" --out "reports/tuning/$cfg" "$@"
done
