#!/usr/bin/env bash
# Installs the Debian bookworm packages toolgate builds and tests with.
# Idempotent: packages already present are not fetched again, and apt-get
# update runs only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake g++ pkg-config
  libcpp-httplib-dev nlohmann-json3-dev libyaml-cpp-dev
  libcurl4-openssl-dev libssl-dev doctest-dev libvalijson-dev libre2-dev
  libseccomp-dev libcap-dev
  python3 procps ca-certificates
)

# The sanitizer build of the suite and the fuzz targets use clang with its
# libFuzzer and sanitizer runtimes (scripts/test.sh --sanitize, scripts/fuzz.sh).
PACKAGES+=(clang-16 libclang-rt-16-dev)

# The end-to-end tests run the official MCP tools from npm; Debian's nodejs
# and npm are enough to install them (they bring their own node 22).
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present" >&2
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
