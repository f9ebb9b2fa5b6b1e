#!/usr/bin/env bash
# Builds the runtime blobs reproducibly and checks they only use MVP wasm + sign-ext.
#
#   runtime-wasm/build.sh          build spec_version 1 and 2 into runtime-wasm/blobs/ and
#                                  record the toolchain in blobs/TOOLCHAIN
#   runtime-wasm/build.sh --check  build into a temporary directory and compare with the
#                                  committed blobs (exact bytes) when the toolchain matches
#                                  blobs/TOOLCHAIN; with another toolchain, warn loudly and
#                                  exit 0 (the bytes are only reproducible per toolchain)
#
# Requirements (Debian bookworm; runtime-wasm/install-toolchain.sh installs them):
#   apt-get install -y rustc-web cargo-web rust-web-src lld wabt
#   /usr/bin/rustc + /usr/bin/cargo with the rust sources (for -Zbuild-std), wasm-ld, and
#   wabt's wasm-validate / wasm-objdump. Cargo fetches the dependencies from crates.io.
# Environment: RUNTIME_WASM_TARGET_DIR (default ~/.cache/wasmnode-runtime-target) is the
#   cargo target directory; it is kept outside the repository on purpose.
set -euo pipefail

mode=build
case "${1:-}" in
"") ;;
--check) mode=check ;;
-h | --help)
    sed -n '2,17p' "$0"
    exit 0
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

crate_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$crate_dir/.." && pwd)
blobs_dir="$crate_dir/blobs"
rustc=/usr/bin/rustc
cargo=/usr/bin/cargo

die() {
    echo "error: $*" >&2
    exit 1
}

for tool in "$rustc" "$cargo"; do
    [[ -x $tool ]] || die "$tool not found (apt-get install -y rustc-web cargo-web rust-web-src)"
done
for tool in wasm-ld wasm-validate wasm-objdump; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y lld wabt)"
done

sysroot=$("$rustc" --print sysroot)
rust_src="$sysroot/lib/rustlib/src/rust"
[[ -d $rust_src/library ]] || die "rust sources missing at $rust_src (apt-get install -y rust-web-src)"
cargo_home=${CARGO_HOME:-$HOME/.cargo}
target_dir=${RUNTIME_WASM_TARGET_DIR:-$HOME/.cache/wasmnode-runtime-target}
case "$target_dir/" in
"$repo_dir"/*) die "RUNTIME_WASM_TARGET_DIR must be outside the repository ($repo_dir)" ;;
esac
toolchain=$("$rustc" --version)

# Code generation: the executor accepts MVP wasm plus sign-ext only, so the std library is
# rebuilt for that CPU (-Zbuild-std). Memory is imported as env.memory like Substrate
# runtimes; __heap_base tells the host where its allocator may start.
# Reproducibility: panic messages embed source paths, so every machine-specific prefix is
# remapped (later remappings win, hence the most specific last).
rustflags=(
    -C target-cpu=mvp
    -C target-feature=+sign-ext
    -C link-arg=--import-memory
    -C link-arg=--export=__heap_base
    -C link-arg=--export-table
    "--remap-path-prefix=$cargo_home=/cargo"
    "--remap-path-prefix=$rust_src=/rust"
    "--remap-path-prefix=$target_dir=/target"
    "--remap-path-prefix=$repo_dir=/wasmnode"
)

# The validator's post-MVP features, all refused except sign-ext (wabt leaves threads,
# tail calls, exceptions, memory64 etc. disabled unless asked).
validate_flags=(
    --disable-mutable-globals
    --disable-saturating-float-to-int
    --disable-simd
    --disable-multi-value
    --disable-bulk-memory
    --disable-reference-types
)

# Builds one variant and copies the blob to $2.
build_variant() {
    local features=$1 out=$2
    echo "==> building runtime-wasm ${features:-(default features)} with $toolchain" >&2
    (
        cd "$repo_dir"
        # Only the variables set here may influence the bytes. The flags are passed encoded so
        # paths may contain spaces; with --target they do not reach build scripts/proc macros.
        unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET \
            CARGO_PROFILE_RUNTIME_WASM_OPT_LEVEL CARGO_INCREMENTAL
        RUSTC="$rustc" \
            RUSTC_BOOTSTRAP=1 \
            CARGO_TARGET_DIR="$target_dir" \
            CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
            CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f' && echo "${rustflags[*]}")" \
            "$cargo" build -p runtime-wasm --profile runtime-wasm \
            --target wasm32-unknown-unknown -Zbuild-std=core,alloc --locked \
            ${features:+--features "$features"}
    )
    cp "$target_dir/wasm32-unknown-unknown/runtime-wasm/runtime_wasm.wasm" "$out"
}

# Fails unless $1 is valid MVP wasm + sign-ext importing its memory as env.memory.
check_features() {
    local wasm=$1 features
    wasm-validate "${validate_flags[@]}" "$wasm" ||
        die "$wasm uses post-MVP wasm features other than sign-ext (see wasm-validate above)"
    features=$(wasm-objdump -x -j target_features "$wasm" | sed -n 's/^ *- \[\(.\)\] \(.*\)$/\1\2/p' | tr '\n' ' ')
    [[ $features == "+sign-ext " ]] ||
        die "$wasm declares target features '$features', expected exactly '+sign-ext'"
    wasm-objdump -x -j Import "$wasm" | grep -q '^ - memory\[0\] .*<- env\.memory$' ||
        die "$wasm does not import its memory as env.memory"
}

out_dir=$blobs_dir
if [[ $mode == check ]]; then
    out_dir=$(mktemp -d)
    trap 'rm -rf "$out_dir"' EXIT
fi
mkdir -p "$out_dir"

build_variant "" "$out_dir/runtime-v1.wasm"
build_variant spec-version-2 "$out_dir/runtime-v2.wasm"
for blob in "$out_dir"/runtime-v1.wasm "$out_dir"/runtime-v2.wasm; do
    check_features "$blob"
done

if [[ $mode == build ]]; then
    echo "$toolchain" >"$blobs_dir/TOOLCHAIN"
    echo "==> wrote $blobs_dir/runtime-v1.wasm ($(wc -c <"$blobs_dir/runtime-v1.wasm") bytes)," \
        "runtime-v2.wasm ($(wc -c <"$blobs_dir/runtime-v2.wasm") bytes) and TOOLCHAIN" >&2
    exit 0
fi

recorded=$(cat "$blobs_dir/TOOLCHAIN" 2>/dev/null || echo "(missing)")
if [[ $recorded != "$toolchain" ]]; then
    cat >&2 <<EOF
********************************************************************************
WARNING: cannot verify the committed runtime blobs with this toolchain.
WARNING:   blobs/TOOLCHAIN: $recorded
WARNING:   $rustc:  $toolchain
WARNING: The sources still build and validate, but the bytes are only
WARNING: reproducible with the recorded toolchain. Rebuild with
WARNING: runtime-wasm/build.sh (and commit the blobs) if you changed the runtime.
********************************************************************************
EOF
    exit 0
fi

stale=0
for name in runtime-v1.wasm runtime-v2.wasm; do
    if cmp -s "$out_dir/$name" "$blobs_dir/$name"; then
        echo "==> blobs/$name is up to date" >&2
    else
        echo "error: blobs/$name differs from a fresh build of the sources" \
            "($(wc -c <"$out_dir/$name") bytes built, $(wc -c <"$blobs_dir/$name" 2>/dev/null || echo 0) committed)." >&2
        stale=1
    fi
done
if ((stale)); then
    die "the committed runtime blobs are stale: run runtime-wasm/build.sh and commit runtime-wasm/blobs/"
fi
