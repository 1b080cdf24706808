#!/usr/bin/env bash
# Checks that every call the Python worker makes into whisperX, faster-whisper, CTranslate2,
# pyannote.audio, transformers and torchaudio binds to the real signatures of the pinned releases.
#
#   bash scripts/check-upstream.sh --prepare DIR   # fetch the pinned sources into DIR (once)
#   bash scripts/check-upstream.sh DIR             # run the check; one row per call
#
# --prepare runs, for each line of scripts/upstream-sources.txt:
#   git clone --depth 1 --branch TAG https://github.com/OWNER/NAME DIR/FOLDER
# With UPSTREAM_MIRRORS=PATH it reads bare mirrors instead (PATH/OWNER+NAME/repo, as made by
# `git clone --mirror`) with `git -C MIRROR archive TAG | tar -x -C DIR/FOLDER`: no network.
# A source that cannot be had is left out and its rows say SKIP.
#
# The packages marked "import" are put on PYTHONPATH and imported for real, with only the compiled
# libraries (torch, torchaudio, ctranslate2's _ext, tokenizers, onnxruntime, ...) stood in for;
# those marked "read" (transformers, torchaudio) are read with Python's ast, since they cannot be
# imported without torch. The worker's own constructors and batch calls are driven through them.
# Exit: 0 all ok, 1 a call does not bind (FAIL), 2 nothing failed but some rows were skipped,
# 64 usage. See docs/upstream-checks.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sources="$root/scripts/upstream-sources.txt"
python="${PYTHON:-/usr/bin/python3}"

usage() {
  sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 64
}

prepare() {
  local dir="$1"
  mkdir -p "$dir"
  grep -v '^#' "$sources" | while read -r folder repo tags _path _use; do
    [ -n "$folder" ] || continue
    if [ -d "$dir/$folder" ] && [ -f "$dir/$folder/.callscribe-tag" ]; then
      echo "have  $folder $(cat "$dir/$folder/.callscribe-tag")"
      continue
    fi
    rm -rf "$dir/$folder.tmp" && mkdir -p "$dir/$folder.tmp"
    local got=""
    for tag in ${tags//,/ }; do
      if [ -n "${UPSTREAM_MIRRORS:-}" ]; then
        local mirror="$UPSTREAM_MIRRORS/${repo/\//+}/repo"
        if [ -d "$mirror" ] && git -C "$mirror" rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
          # A mirror may lack its largest blobs (model files, test audio): leave those out.
          local missing
          missing=$(git -C "$mirror" ls-tree -r "$tag" | awk '$2 == "blob" {print $3}' \
            | git -C "$mirror" cat-file --batch-check 2>/dev/null | awk '$2 == "missing" {print $1}')
          local exclude=()
          if [ -n "$missing" ]; then
            while read -r path; do exclude+=(":(exclude)$path"); done < <(git -C "$mirror" ls-tree -r "$tag" \
              | awk -v m="$missing" 'BEGIN {n = split(m, a, "\n"); for (i = 1; i <= n; i++) miss[a[i]] = 1} $3 in miss {print $4}')
            echo "note  $folder: left out ${#exclude[@]} file(s) the mirror does not hold" >&2
          fi
          # git still names the left-out blobs ("invalid object") while it writes the rest whole.
          git -C "$mirror" archive "$tag" -- . "${exclude[@]}" 2> >(grep -v '^error: invalid object' >&2) \
            | tar -x -C "$dir/$folder.tmp" && got="$tag" && break
        fi
      elif git clone -q --depth 1 --branch "$tag" "https://github.com/$repo" "$dir/$folder.tmp/src" 2>/dev/null; then
        (shopt -s dotglob && mv "$dir/$folder.tmp/src"/* "$dir/$folder.tmp/" && rmdir "$dir/$folder.tmp/src")
        got="$tag" && break
      fi
    done
    if [ -z "$got" ]; then
      rm -rf "$dir/$folder.tmp"
      echo "miss  $folder ($repo at ${tags}): not available; its rows will say SKIP"
      continue
    fi
    echo "$got" > "$dir/$folder.tmp/.callscribe-tag"
    rm -rf "$dir/$folder" && mv "$dir/$folder.tmp" "$dir/$folder"
    echo "got   $folder $got"
  done
}

[ $# -ge 1 ] || usage
case "$1" in
  -h|--help) usage ;;
  --prepare) [ $# -eq 2 ] || usage; prepare "$2"; exit 0 ;;
esac
[ $# -eq 1 ] && [ -d "$1" ] || { echo "check-upstream: $1 is not a folder; prepare it with --prepare $1" >&2; exit 64; }
exec "$python" "$root/services/transcriber/worker/tools/check_upstream.py" "$(cd "$1" && pwd)" "$sources"
