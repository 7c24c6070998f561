#!/usr/bin/python3
"""Real text-line crops for PaddleOCR's text-orientation classifier (0 = upright, 1 = rotated 180).

Sources: the printed text of Debian's opencv-doc examples (scripts/setup.sh --train installs it):
  data/imageTextN.png, data/imageTextR.png (the same book page, straight and skewed by 9 degrees),
  text/scenetext_segmented_word0[1-5].jpg (scene text; the word/line box is the bounding box of the
  segmentation mask shipped with it) and text/scenetext_word0[1-4].jpg (scene words, already cropped).
data/text_defocus.jpg is left out unless --blurred: its lines are found, but at the classifier's
48 px they are grey smudges and the FP32 model is at chance on them (45-65% in our runs), which
would only add noise to an evaluation of quantisation. data/text_motion.jpg is always left out: its
vertical motion blur smears every glyph over about one line pitch, so neither the projection
profile nor a reader can separate its lines. The other images there hold no lines of printed text
(notes.png is a music score).

Text lines are found deterministically: ink = darkness below the local background (a max filter),
Otsu threshold; skewed pages are deskewed first (the angle, within +-10 degrees, that maximises the
squared differences of the row-ink profile), with the ink map rotated along (bilinear, so thin
strokes survive). The horizontal projection profile gives line bands (x-height cores grown over
ascenders and descenders), the vertical profile of each band gives word gaps (blank runs of at
least a quarter of the line height), and words are grouped greedily into segments at most 4x as
wide as the crop is high (--max-aspect; 192x48 is 4:1, so segments are not squeezed). Words wider
than that are split at their faintest column. Crops are taken from the (deskewed) colour image with
a margin of 10% of the line height (--margin; PaddleOCR's detector boxes are about this tight);
bands lower than 8 px, segments shorter than 0.8 line heights or with under 3% ink are skipped.

Each crop is preprocessed the way PaddleOCR's ClsPredictor does (resize_norm_img): resized
(bilinear, cv2-style half-pixel sampling, no antialiasing) to height 48 keeping the aspect ratio,
width min(192, ceil(48*w/h)), then right-padded to 192. PaddleOCR pads the *normalised* tensor with
0, i.e. the pixel value 127.5; the uint8 arrays here pad with 128, which normalises to
(128/255 - 0.5)/0.5 = 0.0039. The 180-degree sample rotates the crop before resizing and padding,
as PaddleOCR does, so its padding is on the right too.

Channel order: PaddleOCR reads images with cv2 (BGR) and never converts, so the classifier was
trained on, and must be fed, BGR planes. The .npy files here follow nestrt's convention for uint8
pixel arrays (runtime/io SampleSource: the planes are an RGB image, exactly like a PNG; the
converter's --color bgr then reverses them to feed the model BGR). So the arrays hold RGB planes
and the model must be converted and run with --color bgr (scripts/ort_reference.mjs: --color bgr).
Use --planes bgr to store BGR planes instead (then feed them as stored, i.e. --color rgb).

Outputs (default build/ocr/textcrops/):
  crops_u8.npy    uint8 [N,3,48,192] evaluation crops, upright and rotated interleaved (u0 r0 u1 r1 ...)
  labels.txt      one label per line: 0 (upright) or 1 (rotated 180)
  calib_u8.npy    uint8 [M,3,48,192] calibration crops, same layout, from a disjoint set of text lines
  calib_labels.txt
  crops.tsv       one row per sample: split, index, label, source, line, segment, crop box
  preview.png     contact sheet of the evaluation samples as the model sees them (upright | rotated)
  calib_preview.png, boxes_<source>.png   calibration samples; the segments found in each source
Every text line goes either to calibration (lines whose index within their source is 1 mod 4,
--calib-every; the scene crops count as one source) or to evaluation (the rest), so the two sets
share no line. imageTextN and imageTextR show the same 13 lines in the same order, so a line's text
lands in the same set from both.
"""
import argparse
import math
import os
import sys
import time

import numpy as np
from PIL import Image, ImageDraw

DEFAULT_DOC = "/usr/share/doc/opencv-doc/examples"
TARGET_H, TARGET_W = 48, 192
PAD_VALUE = 128  # normalises to (128/255 - 0.5) / 0.5 = 0.0039, PaddleOCR pads with 0.0
MAX_ASPECT = TARGET_W / TARGET_H  # segments at most this wide relative to the crop height
MARGIN = 0.1  # crop margin, share of the line height, on every side

# (path under the examples directory, kind): "page" = printed lines found by projection profiles;
# "blurred" = the same, only with --blurred; "mask" = the bounding box of <name>_mask.png;
# "word" = the whole image is one word; "skip" = listed for the record only.
SOURCES = [
    ("data/imageTextN.png", "page"),
    ("data/imageTextR.png", "page"),
    ("data/text_defocus.jpg", "blurred"),  # legible to a reader, at chance for the model at 48 px
    ("data/text_motion.jpg", "skip"),  # unreadable: vertical motion blur merges the lines
    ("text/scenetext_segmented_word01.jpg", "mask"),
    ("text/scenetext_segmented_word02.jpg", "mask"),
    ("text/scenetext_segmented_word03.jpg", "mask"),
    ("text/scenetext_segmented_word04.jpg", "mask"),
    ("text/scenetext_segmented_word05.jpg", "mask"),
    ("text/scenetext_word01.jpg", "word"),
    ("text/scenetext_word02.jpg", "word"),
    ("text/scenetext_word03.jpg", "word"),
    ("text/scenetext_word04.jpg", "word"),
]

try:
    BICUBIC, BILINEAR, NEAREST = Image.Resampling.BICUBIC, Image.Resampling.BILINEAR, Image.Resampling.NEAREST
except AttributeError:  # Pillow < 9.1
    BICUBIC, BILINEAR, NEAREST = Image.BICUBIC, Image.BILINEAR, Image.NEAREST


# ---------------------------------------------------------------- image helpers


def luminance(rgb):
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def sliding_max(a, size, axis):
    pad = size // 2
    widths = [(0, 0)] * a.ndim
    widths[axis] = (pad, pad)
    padded = np.pad(a, widths, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, size, axis=axis)
    return windows.max(axis=-1)


def box_blur(a, size):
    k = np.ones(size) / size
    pad = size // 2
    a = np.pad(a, pad, mode="edge")
    a = np.apply_along_axis(lambda r: np.convolve(r, k, mode="valid"), 1, a)
    return np.apply_along_axis(lambda c: np.convolve(c, k, mode="valid"), 0, a)


def otsu(values):
    hist, edges = np.histogram(values, bins=256, range=(0.0, 256.0))
    hist = hist.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return centres[int(np.argmax(between))]


def ink_map(gray, window):
    """Darkness below the local background (a max filter, smoothed), 0..255."""
    bg = sliding_max(sliding_max(gray, window, 0), window, 1)
    bg = box_blur(bg, window | 1)
    return np.clip(bg - gray, 0, 255)


def binarise(gray, window):
    ink = ink_map(gray, window)
    return ink > max(otsu(ink), 12.0)


def estimate_skew(binary, limit=10.0, step=0.1):
    """The rotation (degrees, PIL convention) that makes the rows of ink most distinct."""
    im = Image.fromarray((binary * 255).astype(np.uint8))
    best, best_angle = -1.0, 0.0
    for angle in np.arange(-limit, limit + step / 2, step):
        rows = np.asarray(im.rotate(float(angle), resample=NEAREST, expand=True), dtype=np.float64).sum(axis=1)
        score = float(np.sum(np.diff(rows) ** 2))
        if score > best + 1e-9:
            best, best_angle = score, float(angle)
    return round(best_angle, 2)


def runs(mask):
    """[begin, end) of each run of True."""
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    return list(zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]))


# ---------------------------------------------------------------- line and segment finding


def find_bands(binary, min_height):
    """Line bands [y0, y1): cores where the row profile is high (x-height), each grown up and down
    while rows hold some ink (ascenders, descenders), at most halfway to the neighbouring core."""
    h, w = binary.shape
    rows = binary.sum(axis=1)
    if not rows.any():
        return []
    high = 0.2 * np.percentile(rows[rows > 0], 90)
    low = max(2, 0.01 * w)
    cores = []
    for b, e in runs(rows > high):
        if cores and b - cores[-1][1] <= 1:
            cores[-1] = (cores[-1][0], e)
        else:
            cores.append((b, e))
    cores = [(b, e) for b, e in cores if e - b >= 3]
    bands = []
    for i, (b, e) in enumerate(cores):
        top = (cores[i - 1][1] + b + 1) // 2 if i else 0
        bottom = (e + cores[i + 1][0]) // 2 if i + 1 < len(cores) else h
        while b > top and rows[b - 1] > low:
            b -= 1
        while e < bottom and rows[e] > low:
            e += 1
        if e - b >= min_height:
            bands.append((int(b), int(e)))
    return bands


def split_band(binary, y0, y1, max_width):
    """Word groups of a line band as [x0, x1) spans, each at most max_width wide where possible."""
    band = binary[y0:y1]
    lh = y1 - y0
    cols = band.sum(axis=0)
    ink_cols = cols > 0
    spans = runs(ink_cols)
    if not spans:
        return []
    # merge glyphs into words: gaps narrower than a quarter of the line height are letter spacing
    gap = max(2, int(round(0.25 * lh)))
    words = [list(spans[0])]
    for b, e in spans[1:]:
        if b - words[-1][1] < gap:
            words[-1][1] = e
        else:
            words.append([b, e])
    # drop specks: words narrower than a fifth of the line height with little ink
    words = [(b, e) for b, e in words if e - b >= max(3, lh // 5) or cols[b:e].sum() > lh]
    # split words wider than max_width (blurred lines without visible gaps) at the faintest column
    pieces = []
    for b, e in words:
        while e - b > max_width:
            lo, hi = b + int(0.6 * max_width), b + max_width
            cut = lo + int(np.argmin(cols[lo:hi]))
            pieces.append((b, cut))
            b = cut
        pieces.append((b, e))
    # group words greedily into segments no wider than max_width
    segments = []
    cur = list(pieces[0])
    for b, e in pieces[1:]:
        if e - cur[0] <= max_width:
            cur[1] = e
        else:
            segments.append(tuple(cur))
            cur = [b, e]
    segments.append(tuple(cur))
    return segments


def page_segments(rgb, min_height, margin, max_aspect):
    """Segments of a printed page: (line index, box (x0, y0, x1, y1)) on the deskewed image."""
    gray = luminance(rgb.astype(np.float64))
    window = max(15, (min(gray.shape) // 12) | 1)
    binary = binarise(gray, window)
    angle = estimate_skew(binary)
    if abs(angle) >= 0.2:
        # the ink found on the original image is rotated too (bilinear, so thin strokes survive)
        fill = tuple(int(v) for v in np.median(rgb.reshape(-1, 3), axis=0))
        rgb = np.asarray(Image.fromarray(rgb).rotate(angle, resample=BICUBIC, expand=True, fillcolor=fill))
        ink = Image.fromarray((binary * 255).astype(np.uint8)).rotate(angle, resample=BILINEAR, expand=True)
        binary = np.asarray(ink) >= 64
    h, w = binary.shape
    segs = []
    for line, (y0, y1) in enumerate(find_bands(binary, min_height)):
        lh = y1 - y0
        m = int(round(margin * lh))
        crop_h = lh + 2 * m
        max_width = int(max_aspect * crop_h) - 2 * m
        for x0, x1 in split_band(binary, y0, y1, max_width):
            box = (max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m))
            inner = binary[y0:y1, x0:x1]
            if x1 - x0 < 0.8 * lh or inner.mean() < 0.03:  # too short (single letters) or mostly empty
                continue
            segs.append((line, box))
    return rgb, angle, segs


def mask_box(mask_path, margin):
    m = np.asarray(Image.open(mask_path).convert("L")) > 127
    ys, xs = np.nonzero(m)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    mg = int(round(margin * (y1 - y0)))
    return (max(0, x0 - mg), max(0, y0 - mg), min(m.shape[1], x1 + mg), min(m.shape[0], y1 + mg))


# ---------------------------------------------------------------- PaddleOCR cls preprocessing


def resize_bilinear(img, out_h, out_w):
    """cv2.resize(..., INTER_LINEAR) semantics: half-pixel centres, no antialiasing."""
    h, w = img.shape[:2]
    sy, sx = h / out_h, w / out_w
    y = np.clip((np.arange(out_h) + 0.5) * sy - 0.5, 0, h - 1)
    x = np.clip((np.arange(out_w) + 0.5) * sx - 0.5, 0, w - 1)
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (y - y0)[:, None, None], (x - x0)[None, :, None]
    f = img.astype(np.float64)
    top = f[y0][:, x0] * (1 - fx) + f[y0][:, x1] * fx
    bot = f[y1][:, x0] * (1 - fx) + f[y1][:, x1] * fx
    return np.clip(np.rint(top * (1 - fy) + bot * fy), 0, 255).astype(np.uint8)


def cls_input(crop):
    """HWC RGB uint8 crop -> CHW uint8 [3,48,192], PaddleOCR resize_norm_img before normalisation."""
    h, w = crop.shape[:2]
    rw = min(TARGET_W, int(math.ceil(TARGET_H * w / h)))
    out = np.full((TARGET_H, TARGET_W, 3), PAD_VALUE, dtype=np.uint8)
    out[:, :rw] = resize_bilinear(crop, TARGET_H, rw)
    return out.transpose(2, 0, 1)


# ---------------------------------------------------------------- outputs


def write_labels(path, labels):
    with open(path, "w") as f:
        f.writelines(f"{v}\n" for v in labels)


def contact_sheet(samples, path, columns=4):
    """samples: [2k,3,48,192] interleaved upright/rotated -> rows of (upright | rotated) pairs."""
    pairs = len(samples) // 2
    if pairs == 0:
        return
    cell_w, cell_h = 2 * TARGET_W + 6, TARGET_H + 4
    rows = (pairs + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (cell_w + 10), rows * cell_h), (255, 255, 255))
    for i in range(pairs):
        x, y = (i % columns) * (cell_w + 10), (i // columns) * cell_h
        for j in range(2):
            sheet.paste(Image.fromarray(samples[2 * i + j].transpose(1, 2, 0)), (x + j * (TARGET_W + 4), y))
    sheet.save(path, optimize=True)


def main():
    ap = argparse.ArgumentParser(
        description="Text-line crops from Debian opencv-doc images for PaddleOCR's orientation classifier: "
        "crops_u8.npy (uint8 [N,3,48,192]) + labels.txt (0 upright, 1 rotated 180), and a disjoint calibration set.",
        epilog="Channel order: the planes are RGB (nestrt's convention for uint8 pixel arrays); convert/run the "
        "PaddleOCR model with --color bgr, which feeds it BGR like PaddleOCR's cv2 pipeline.",
    )
    ap.add_argument("--examples", default=DEFAULT_DOC, help="opencv-doc examples directory (default: %(default)s)")
    ap.add_argument("--out", default=None, help="output directory (default: build/ocr/textcrops in the repository)")
    ap.add_argument("--planes", choices=["rgb", "bgr"], default="rgb", help="channel order stored in the .npy files "
                    "(default rgb: run the model with --color bgr; bgr: run it with --color rgb)")
    ap.add_argument("--calib-every", type=int, default=4, help="every Nth text line of a source (index 1 mod N) goes "
                    "to calibration, the rest to evaluation; 0: no calibration split (default: %(default)s)")
    ap.add_argument("--min-line-height", type=int, default=8, help="skip text lines lower than this (px, default: %(default)s)")
    ap.add_argument("--margin", type=float, default=MARGIN, help="crop margin on every side, share of the line "
                    "height (default: %(default)s)")
    ap.add_argument("--max-aspect", type=float, default=MAX_ASPECT, help="words are grouped into segments at most "
                    "this many crop heights wide; wider ones are squeezed to 192 like PaddleOCR does (default: %(default)s)")
    ap.add_argument("--blurred", action="store_true", help="also crop data/text_defocus.jpg (the FP32 model is at "
                    "chance on it)")
    ap.add_argument("--no-previews", action="store_true", help="skip the PNG previews")
    args = ap.parse_args()

    start = time.monotonic()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = args.out or os.path.join(root, "build", "ocr", "textcrops")
    missing = [p for p, kind in SOURCES if kind != "skip" and not os.path.exists(os.path.join(args.examples, p))]
    if missing:
        sys.exit(f"make_text_crops.py: missing {', '.join(missing)} under {args.examples} "
                 "(Debian package opencv-doc: scripts/setup.sh --train)")
    os.makedirs(out, exist_ok=True)

    sets = {"eval": ([], [], []), "calib": ([], [], [])}  # samples, labels, tsv rows
    scene_line = 0
    print(f"{'source':40} {'lines':>5} {'crops':>5} {'eval':>5} {'calib':>5}  notes")
    totals = [0, 0, 0, 0]
    for rel, kind in SOURCES:
        path = os.path.join(args.examples, rel)
        rgb = np.asarray(Image.open(path).convert("RGB"))
        note = ""
        if kind == "skip" or (kind == "blurred" and not args.blurred):
            why = "too blurred for the model (--blurred adds it)" if kind == "blurred" else "unreadable (motion blur)"
            print(f"{rel:40} {0:5d} {0:5d} {0:5d} {0:5d}  skipped: {why}")
            continue
        if kind in ("page", "blurred"):
            rgb, angle, segs = page_segments(rgb, args.min_line_height, args.margin, args.max_aspect)
            note = f"deskewed {angle:+.1f} deg" if abs(angle) >= 0.2 else ""
        elif kind == "mask":
            segs = [(scene_line, mask_box(path[: -len(".jpg")] + "_mask.png", args.margin))]
            scene_line += 1
        else:
            segs = [(scene_line, (0, 0, rgb.shape[1], rgb.shape[0]))]
            scene_line += 1
        counts = {"eval": 0, "calib": 0}
        for k, (line, (x0, y0, x1, y1)) in enumerate(segs):
            split = "calib" if args.calib_every and line % args.calib_every == 1 else "eval"
            crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
            samples, labels, rows = sets[split]
            for label, c in ((0, crop), (1, crop[::-1, ::-1])):
                chw = cls_input(c)
                samples.append(chw[::-1] if args.planes == "bgr" else chw)
                labels.append(label)
                rows.append(f"{split}\t{len(labels) - 1}\t{label}\t{rel}\t{line}\t{k}\t{x0},{y0},{x1},{y1}")
            counts[split] += 1
        lines = len({line for line, _ in segs})
        print(f"{rel:40} {lines:5d} {len(segs):5d} {counts['eval']:5d} {counts['calib']:5d}  {note}")
        for i, v in enumerate((lines, len(segs), counts["eval"], counts["calib"])):
            totals[i] += v
        if not args.no_previews and kind in ("page", "blurred"):
            im = Image.fromarray(rgb)
            draw = ImageDraw.Draw(im)
            for line, box in segs:
                colour = (0, 160, 255) if args.calib_every and line % args.calib_every == 1 else (255, 40, 40)
                draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), outline=colour)
            im.save(os.path.join(out, f"boxes_{os.path.splitext(os.path.basename(rel))[0]}.png"), optimize=True)
    print(f"{'total':40} {totals[0]:5d} {totals[1]:5d} {totals[2]:5d} {totals[3]:5d}  "
          f"(crops; every crop is stored upright (label 0) and rotated 180 (label 1))")

    with open(os.path.join(out, "crops.tsv"), "w") as f:
        f.write("split\tindex\tlabel\tsource\tline\tsegment\tbox_x0,y0,x1,y1\n")
        for name in ("eval", "calib"):
            f.writelines(r + "\n" for r in sets[name][2])
    for name, npy, lab, preview in (("eval", "crops_u8.npy", "labels.txt", "preview.png"),
                                    ("calib", "calib_u8.npy", "calib_labels.txt", "calib_preview.png")):
        samples, labels, _ = sets[name]
        if not samples:
            continue
        arr = np.ascontiguousarray(np.stack(samples))
        np.save(os.path.join(out, npy), arr)
        write_labels(os.path.join(out, lab), labels)
        if not args.no_previews:
            rgb_order = arr if args.planes == "rgb" else arr[:, ::-1]
            contact_sheet(rgb_order, os.path.join(out, preview))
        print(f"{name}: {os.path.join(out, npy)} {list(arr.shape)} uint8 ({args.planes.upper()} planes), "
              f"{os.path.join(out, lab)}: {labels.count(0)} x 0, {labels.count(1)} x 1")
    print(f"done in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
