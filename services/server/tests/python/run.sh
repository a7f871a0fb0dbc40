#!/usr/bin/env bash
# Cross-language client test: Python grpcio (stubs generated from proto/ at test
# time) against the real stance-server binary.
#
#   bash services/server/tests/python/run.sh
#
# Env: STANCE_SERVER_BIN  binary to test (default: build target/debug/stance-server)
#      STANCE_PY_VENV     virtualenv to use/create (default: target/py-venv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
venv="${STANCE_PY_VENV:-$root/target/py-venv}"
python="${PYTHON:-python3}"

if [[ -z "${STANCE_SERVER_BIN:-}" ]]; then
  cargo build --quiet --manifest-path "$root/Cargo.toml" -p stance-server --bin stance-server
  STANCE_SERVER_BIN="$root/target/debug/stance-server"
fi

if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
# Pinned: the generated stubs and the runtime must agree.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  grpcio==1.85.1 grpcio-tools==1.85.1 grpcio-health-checking==1.85.1

gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
"$venv/bin/python" -m grpc_tools.protoc -I "$root/proto" \
  --python_out="$gen" --grpc_python_out="$gen" stance/v1/stance.proto

PYTHONPATH="$gen" exec "$venv/bin/python" "$here/client_test.py" "$STANCE_SERVER_BIN"
