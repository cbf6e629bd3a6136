#!/usr/bin/env bash
# One-step set-up for a fresh machine: the Python virtual environment at .venv/ with narrmon
# installed (editable, with the dev extra), and the Debian packages narrmon's stack runs
# (Prometheus, Alertmanager), and the Go tools of the deployment tests (.tools/bin). Idempotent: a second run only checks.
# The JVM services (Kafka, Elasticsearch) are fetched from Maven Central by `narrmon stack up`.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "narrmon: $1 is missing: $2" >&2; exit 1; }; }
need python3.11 "install Python 3.11 (e.g. 'apt-get install python3.11' or pyenv) and retry." 2>/dev/null \
  || python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || { echo "narrmon: Python 3.11 is required (found $(python3 --version 2>&1))." >&2; exit 1; }
PYTHON=$(command -v python3.11 || command -v python3)

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# One resolver run for everything: faust-streaming and sentence-transformers disagree about click
# unless they are resolved together (see README, "Dependencies").
.venv/bin/python -m pip install --quiet -e '.[dev]'
# The onnx-int8 encoder backend's model, exported once per model into the cache dir (~30 s the
# first time, a no-op after): the worker would otherwise export it on its first start.
HF_HUB_OFFLINE=1 .venv/bin/narrmon model export >/dev/null \
  || echo "narrmon: ONNX export failed; the worker will fall back to torch (see above)." >&2

apt_install() {
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "narrmon: $* missing and not root: install the Debian packages '$*' and retry." >&2; exit 1
  fi
  local SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
pkgs=()
command -v prometheus >/dev/null || pkgs+=(prometheus)
command -v promtool >/dev/null || pkgs+=(prometheus)
command -v prometheus-alertmanager >/dev/null || pkgs+=(prometheus-alertmanager)
command -v amtool >/dev/null || pkgs+=(prometheus-alertmanager)
# Headless Chromium for the analyst UI's browser test (tests/browser, Playwright drives it).
command -v chromium >/dev/null || pkgs+=(chromium)
command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
if [ ${#pkgs[@]} -gt 0 ]; then
  apt_install $(printf '%s\n' "${pkgs[@]}" | sort -u)
fi

# Go tools the deployment tests need, pinned, built from the Go module proxy into .tools/bin
# (git-ignored): kustomize renders deploy/k8s, kubeconform validates the custom resources.
go_tool() {  # name module version
  local stamp=".tools/bin/.$1-$3"
  [ -x ".tools/bin/$1" ] && [ -f "$stamp" ] && return 0
  command -v go >/dev/null || { echo "narrmon: Go is missing: install Go 1.22+ and retry." >&2; exit 1; }
  mkdir -p .tools/bin
  GOBIN="$PWD/.tools/bin" GOFLAGS=-buildvcs=false go install "$2@$3"
  rm -f .tools/bin/."$1"-*; touch "$stamp"
}
go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 v5.7.1
go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform v0.7.0
echo "narrmon: set-up complete (.venv/bin/narrmon)."
