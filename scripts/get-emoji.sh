#!/usr/bin/env bash
# Fetches the emoji data set (vq4j train --data emoji): the 64x64 RGBA Noto Emoji PNGs of npm's
# emoji-datasource-google@16.0.0 (Apache-2.0, 74 MB tarball) with categories.json and emoji.json, into
# data/emoji/ (git-ignored) or the folder given as the first argument. `npm pack` downloads the tarball
# without running any package script. Idempotent: does nothing when the folder already holds the set.
# Usage: bash scripts/get-emoji.sh [folder]   then   vq4j train --data emoji --data-dir <folder> ...
set -euo pipefail

package=emoji-datasource-google@16.0.0
dest=${1:-"$(cd "$(dirname "$0")/.." && pwd)/data/emoji"}

if [ -f "$dest/categories.json" ] && [ -d "$dest/img/google/64" ]; then
  echo "get-emoji: $dest already holds the set ($(ls "$dest/img/google/64" | wc -l) images)"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "get-emoji: npm is needed (apt-get install npm)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tarball=$(ls "$work"/*.tgz)
# Only what the reader uses: the 64x64 images and the two tables (the tarball also holds 16, 20, 32 px sheets).
tar -xzf "$tarball" -C "$work" package/img/google/64 package/categories.json package/emoji.json package/LICENSE
mkdir -p "$dest"
cp -r "$work/package/." "$dest/"
echo "get-emoji: $(ls "$dest/img/google/64" | wc -l) images of $package in $dest"
