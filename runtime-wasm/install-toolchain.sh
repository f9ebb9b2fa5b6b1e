#!/usr/bin/env bash
# Installs the toolchain runtime-wasm/build.sh needs, from Debian's packages: a rustc/cargo
# with the Rust sources for -Zbuild-std (rustup has no wasm32 target here), wasm-ld, and wabt
# to validate the output. Idempotent; needs root (or sudo).
set -euo pipefail
packages=(rustc-web cargo-web rust-web-src lld wabt)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
((${#missing[@]} == 0)) && exit 0
sudo=""
[[ $(id -u) == 0 ]] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
