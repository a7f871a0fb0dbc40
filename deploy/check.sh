#!/usr/bin/env bash
# deploy/check.sh: validate everything under deploy/. Offline except for PyPI (first run only).
#
#   deploy/check.sh                     static checks (render, schemas, policy, lint)
#   deploy/check.sh --server target/release/stance-server --trainer target/release/stance-train
#   deploy/check.sh target/release/stance-server     (stance-train taken from the same directory)
#                                       ... and run the binaries as the prod manifests do
#                                       (deploy/tests/run_as_manifest.py)
#
# Steps, each reported as PASS/FAIL, all run even after a failure; exit 1 if any failed:
#   render       kubectl kustomize of base and every overlay -> target/deploy-check/rendered/
#   schema       kubernetes-validate --strict against Kubernetes $K8S_VERSION, plus a negative
#                control (an unknown field must be rejected, or strict mode is not working)
#   checkov      policy scan of the rendered overlays and the Dockerfile (skips: deploy/checkov.yaml)
#   hadolint     deploy/docker/Dockerfile, failing on any finding (info and up)
#   sh-lint      ShellCheck on the volume scripts the images run (deploy/docker/*.sh) and this file
#   manifest     run_as_manifest.py --static: cross-checks between the rendered resources
#   run-as-manifest (only with --server/--trainer) the live test
#
# Env: STANCE_DEPLOY_VENV (default target/deploy-venv), K8S_VERSION (default 1.37.0).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/deploy"
VENV="${STANCE_DEPLOY_VENV:-$ROOT/target/deploy-venv}"
K8S_VERSION="${K8S_VERSION:-1.37.0}"
OUT="$ROOT/target/deploy-check"
OVERLAYS=(dev prod)
SERVER_BIN=""
TRAINER_BIN=""

while [ $# -gt 0 ]; do
    case "$1" in
        --server) SERVER_BIN="$2"; shift 2 ;;
        --trainer) TRAINER_BIN="$2"; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        -*) echo "check.sh: unknown option $1" >&2; exit 2 ;;
        *)  # positional: SERVER [TRAINER]
            if [ -z "$SERVER_BIN" ]; then SERVER_BIN="$1"
            elif [ -z "$TRAINER_BIN" ]; then TRAINER_BIN="$1"
            else echo "check.sh: too many arguments" >&2; exit 2; fi
            shift ;;
    esac
done
# stance-train is built next to stance-server (cargo build --release --workspace --bins).
if [ -n "$SERVER_BIN" ] && [ -z "$TRAINER_BIN" ]; then
    TRAINER_BIN="$(dirname "$SERVER_BIN")/stance-train"
fi
if [ -n "$SERVER_BIN$TRAINER_BIN" ] && { [ -z "$SERVER_BIN" ] || [ -z "$TRAINER_BIN" ]; }; then
    echo "check.sh: --server and --trainer go together" >&2; exit 2
fi

PASSED=()
FAILED=()
step() { # step NAME CMD...: run, log to $OUT/logs/NAME.log, record the verdict
    local name="$1"; shift
    local log="$OUT/logs/$name.log"
    echo "==> $name"
    if "$@" >"$log" 2>&1; then
        PASSED+=("$name"); sed "s/^/    /" "$log"; echo "    PASS $name"
    else
        FAILED+=("$name"); sed "s/^/    /" "$log"; echo "    FAIL $name (log: $log)"
    fi
}

# --- tools -------------------------------------------------------------------------------------
command -v kubectl >/dev/null || { echo "check.sh: kubectl (with kustomize) is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "check.sh: python3 is required" >&2; exit 1; }
REQ_HASH="$(sha256sum "$DEPLOY/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$REQ_HASH" ]; then
    echo "==> installing deploy tools into $VENV (pinned in deploy/requirements.txt)"
    rm -rf "$VENV"
    if ! { python3 -m venv "$VENV" \
        && "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$DEPLOY/requirements.txt"; }; then
        echo "check.sh: could not install the deploy tools" >&2; exit 1
    fi
    echo "$REQ_HASH" > "$VENV/.requirements.sha256"
fi
export PATH="$VENV/bin:$PATH"
# checkov: no telemetry, no update checks, no network.
export BC_SKIP_MAPPING=TRUE CHECKOV_SKIP_DOWNLOAD=TRUE PYTHONWARNINGS=ignore

rm -rf "$OUT"
mkdir -p "$OUT/rendered" "$OUT/logs" "$OUT/negative"

# --- steps -------------------------------------------------------------------------------------
render() {
    kubectl version --client 2>/dev/null | sed -n '1,2p'
    kubectl kustomize "$DEPLOY/k8s/base" > "$OUT/base.yaml" || return 1
    local o
    for o in "${OVERLAYS[@]}"; do
        kubectl kustomize "$DEPLOY/k8s/overlays/$o" > "$OUT/rendered/$o.yaml" || return 1
        echo "$o: $(grep -c '^kind:' "$OUT/rendered/$o.yaml") resources -> target/deploy-check/rendered/$o.yaml"
        grep '^kind:' "$OUT/rendered/$o.yaml" | sort | uniq -c | tr '\n' ' '; echo
    done
}

schema() {
    kubernetes-validate --version
    local o rc=0
    for o in "${OVERLAYS[@]}"; do
        kubernetes-validate --strict --quiet --kubernetes-version "$K8S_VERSION" \
            "$OUT/rendered/$o.yaml" || rc=1
        [ $rc -eq 0 ] && echo "$o: every resource valid (strict, Kubernetes $K8S_VERSION)"
    done
    # Negative control: a misspelt field must fail, or --strict is not doing its job.
    sed 's/appProtocol: grpc/appProtocl: grpc/' "$OUT/rendered/prod.yaml" > "$OUT/negative/prod-typo.yaml"
    if kubernetes-validate --strict --quiet --kubernetes-version "$K8S_VERSION" \
        "$OUT/negative/prod-typo.yaml" >/dev/null 2>&1; then
        echo "negative control: a manifest with an unknown field passed: strict validation is broken"
        rc=1
    else
        echo "negative control: unknown field 'appProtocl' rejected, as it must be"
    fi
    return $rc
}

checkov_scan() {
    checkov --version
    echo "skipped (justified in deploy/checkov.yaml): $(sed -n 's/^  - \(CKV[A-Z0-9_]*\).*/\1/p' "$DEPLOY/checkov.yaml" | tr '\n' ' ')"
    echo "skipped inline (justified in deploy/docker/Dockerfile): $(sed -n 's/^# checkov:skip=\([A-Z0-9_]*\).*/\1/p' "$DEPLOY/docker/Dockerfile" | sort -u | tr '\n' ' ')"
    checkov --config-file "$DEPLOY/checkov.yaml" --framework kubernetes \
        -d "$OUT/rendered" || return 1
    checkov --config-file "$DEPLOY/checkov.yaml" --framework dockerfile \
        -f "$DEPLOY/docker/Dockerfile" || return 1
}

hadolint_lint() {
    hadolint --version
    hadolint --failure-threshold info "$DEPLOY/docker/Dockerfile" && echo "no findings"
}

shellcheck_lint() {
    shellcheck --version | sed -n 2p
    shellcheck --shell=sh "$DEPLOY"/docker/*.sh && shellcheck "$DEPLOY/check.sh" && echo "no findings: deploy/docker/*.sh deploy/check.sh"
}

manifest_static() {
    python "$DEPLOY/tests/run_as_manifest.py" --static --rendered "$OUT/rendered/prod.yaml" \
        && python "$DEPLOY/tests/run_as_manifest.py" --static --rendered "$OUT/rendered/dev.yaml"
}

run_as_manifest() {
    python "$DEPLOY/tests/run_as_manifest.py" --rendered "$OUT/rendered/prod.yaml" \
        --server "$SERVER_BIN" --trainer "$TRAINER_BIN"
}

step render render
if [[ " ${PASSED[*]} " == *" render "* ]]; then
    step schema schema
    step checkov checkov_scan
    step manifest manifest_static
    [ -n "$SERVER_BIN" ] && step run-as-manifest run_as_manifest
fi
step hadolint hadolint_lint
step sh-lint shellcheck_lint

echo
echo "deploy/check.sh summary (Kubernetes schemas $K8S_VERSION):"
for s in "${PASSED[@]}"; do echo "  PASS  $s"; done
for s in "${FAILED[@]}"; do echo "  FAIL  $s   (target/deploy-check/logs/$s.log)"; done
echo "deploy: ${#PASSED[@]} passed, ${#FAILED[@]} failed"
[ ${#FAILED[@]} -eq 0 ]
