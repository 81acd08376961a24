#!/usr/bin/env bash
# Makes `vq4j` a command: links bin/vq4j into ~/.local/bin (or $VQ4J_BIN_DIR), which the launcher follows
# back to this repository's jar. Says how to put that folder on PATH when it is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="${VQ4J_BIN_DIR:-$HOME/.local/bin}"
mkdir -p "$bin_dir"
ln -sfn "$PWD/bin/vq4j" "$bin_dir/vq4j"
echo "install-launcher: $bin_dir/vq4j -> $PWD/bin/vq4j"
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) echo "install-launcher: $bin_dir is not on PATH; add it:  export PATH=\"$bin_dir:\$PATH\"" \
          "(or run $PWD/bin/vq4j)" ;;
esac
