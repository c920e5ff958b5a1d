"""An uploaded phone photo made fit for a phone: time and bytes of lms.authoring.photos.prepare.

Draws 12-MP (4000×3000) test photos with Pillow, saves each as a phone would (JPEG quality 92,
EXIF with orientation 6 and GPS), and times ``prepare`` on them (median of --repeat runs, in
this process, no database or HTTP): bytes in and out, the stored size in pixels, and the peak
resident memory one call adds (measured in a fresh interpreter). For comparison it also times the
plain way (decode every pixel, then scale), which ``prepare`` avoids by letting libjpeg decode
at a smaller scale (``draft``).

  ordinary   shapes, gradients and a little sensor noise (fields, houses, people)
  detailed   noise at several scales as well (foliage, gravel, water): the budget's hard case

No real photo is shipped (the suite and the benches read only what they draw); real photos fall
between the two kinds.

Usage: .venv/bin/python bench/photos.py [--repeat 5] [--json]
"""
from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def draw(kind: str, width: int = 4000, height: int = 3000):
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(12)
    sky = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (sky.point(lambda v: 90 + v // 3), sky.point(lambda v: 140 + v // 4),
                                sky.point(lambda v: 200 - v // 3)))
    pen = ImageDraw.Draw(image)
    for _ in range(300):
        x, y, w, h = (rng.randrange(width), rng.randrange(height // 3, height),
                      rng.randrange(40, 900), rng.randrange(20, 400))
        colour = (rng.randrange(40, 220), rng.randrange(60, 200), rng.randrange(20, 160))
        (pen.ellipse if rng.random() < 0.5 else pen.rectangle)((x, y, x + w, y + h), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3))
    scales = (1,) if kind == "ordinary" else (1, 4, 16)
    for scale in scales:
        noise = Image.effect_noise((width // scale, height // scale), 60)
        noise = noise.resize((width, height), Image.Resampling.BICUBIC).convert("RGB")
        image = Image.blend(image, noise, 0.08 if kind == "ordinary" else 0.22)
    return image


def phone_jpeg(image) -> bytes:
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Fieldphone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (30.0, 15.0, 12.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def plain_way(data: bytes) -> int:
    """Decode every pixel, turn, scale, encode: what prepare would cost without draft."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    image.thumbnail((1280, 1280), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, progressive=True, optimize=True)
    return len(buffer.getvalue())


#: run in a fresh interpreter: the peak resident memory one call adds (KB, Linux's VmHWM;
#: ru_maxrss would carry the parent's peak across fork and exec)
CHILD = """
import sys
sys.path.insert(0, {root!r})
from bench.photos import plain_way
from lms.authoring import photos
def peak():
    line = next(x for x in open("/proc/self/status") if x.startswith("VmHWM:"))
    return int(line.split()[1])
data = open({path!r}, "rb").read()
before = peak()
photos.prepare(data, "x.jpg", "image/jpeg") if {prepare!r} else plain_way(data)
print(peak() - before)
"""


def peak_growth_mb(data: bytes, prepare: bool) -> float:
    with tempfile.NamedTemporaryFile(suffix=".jpg") as file:
        file.write(data)
        file.flush()
        code = CHILD.format(root=str(ROOT), path=file.name, prepare=prepare)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout
    return round(int(out) / 1024, 1)


def timed(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from lms.authoring import photos

    rows = []
    for kind in ("ordinary", "detailed"):
        data = phone_jpeg(draw(kind))
        photo = photos.prepare(data, f"{kind}.jpg", "image/jpeg")
        rows.append({
            "kind": kind, "uploaded_bytes": len(data), "stored_bytes": len(photo.data),
            "stored_px": f"{photo.width}×{photo.height}", "format": photo.content_type,
            "prepare_ms": round(timed(lambda d=data, k=kind: photos.prepare(
                d, f"{k}.jpg", "image/jpeg"), args.repeat)),
            "peak_rss_growth_mb": peak_growth_mb(data, True),
            "plain_way_ms": round(timed(lambda d=data: plain_way(d), args.repeat)),
            "plain_way_bytes": plain_way(data),
            "plain_way_rss_growth_mb": peak_growth_mb(data, False),
        })
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print(f"budget: {photos.LONG_SIDE} px, {photos.BUDGET // 1024} KB; median of {args.repeat}")
    print("| photo | uploaded | stored | pixels | prepare: time, peak memory added | "
          "plain decode + scale + q80: time, memory, bytes |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['kind']} | {row['uploaded_bytes']:,} B | {row['stored_bytes']:,} B | "
              f"{row['stored_px']} | {row['prepare_ms']} ms, {row['peak_rss_growth_mb']} MB | "
              f"{row['plain_way_ms']} ms, {row['plain_way_rss_growth_mb']} MB, "
              f"{row['plain_way_bytes']:,} B |")
    return 0 if all(row["stored_bytes"] <= photos.BUDGET for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
