"""An uploaded photo made fit for a member's phone on a weak link (issue 13, point 11).

A trainer's phone photo is 3–6 MB at 4000×3000; a member on 2G (30–50 KB/s) would wait 80–140 s
for a 4-MB one and pay ¥0.47 of satellite data (¥0.12/MB). What is stored is at most
``LONG_SIDE`` pixels on its longer side and ``BUDGET`` bytes, without the metadata a camera
writes (EXIF, with the place the photo was taken; XMP; comments), and upright: the EXIF
orientation is applied to the pixels before the EXIF goes. Only the stored file is kept: the
original is neither stored nor counted against the media quotas.

What happens to an upload, by what it is (docs/architecture.md, "Media upload"):

- within the size and the budget, upright, no metadata: stored as it came, byte for byte;
- within them but carrying metadata (a small JPEG with GPS): the metadata is cut out of the
  file, the picture's bytes are left alone (no second JPEG loss);
- anything else is decoded, turned upright, scaled down and encoded again, in its own format
  first (JPEG quality 80, progressive; PNG optimised; WebP quality 80). Over the budget still,
  JPEG and WebP drop to quality 70 and 60, a PNG without transparency becomes a JPEG (a photo
  saved as PNG), one with transparency is reduced to 256 colours; then the picture shrinks by a
  fifth at a time, and below ``MIN_SIDE`` the upload is refused. A GIF that needs scaling
  becomes a PNG; an animation that needs it is refused (it cannot be scaled without losing its
  frames here).

The decoder is Pillow, loaded on first use (a member's worker never needs it). Its input is
untrusted: a file whose header promises more than ``MAX_PIXELS`` is refused before a pixel is
decoded (a "decompression bomb": a few KB of PNG that unpacks to gigabytes), and any decoder
failure (truncated, corrupt, not the type its first bytes claim) is refused with the file's
name. Nothing is written here: the caller stores the result, so a refusal leaves no file.
"""
from __future__ import annotations

import io
import math
import struct
import warnings
from dataclasses import dataclass

from lms.core.errors import ValidationFailed
from lms.core.i18n import N_

#: the longer side of a stored image, in pixels. A lesson column on a 360-px phone at 2× is
#: 720 device pixels; 1280 leaves room to zoom into a photographed document (an A4 page's
#: 五号字 is ~16 px high at 1280, unreadable at 720).
LONG_SIDE = 1280
#: the most a stored image may weigh: 4–7 s on 2G (30–50 KB/s), ¥0.023 on satellite data
BUDGET = 200 * 1024
#: refused before decoding: 8192×8192 (67 million) pixels covers a 64-MP phone's
#: full-resolution photo; a 108- or 200-MP shot, or a bomb, is refused (decoding it could take
#: gigabytes)
MAX_PIXELS = 1 << 26
#: the smallest longer side the budget may push a picture down to before it is refused
MIN_SIDE = 640
QUALITIES = (80, 70, 60)
SHRINK = 0.8

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
OUTPUT = {"JPEG": (".jpg", "image/jpeg"), "PNG": (".png", "image/png"),
          "WEBP": (".webp", "image/webp")}
ORIENTATION = 0x0112


@dataclass(frozen=True)
class Photo:
    """What to store: the bytes, their extension and type, their size in pixels, and what was
    done (``kept`` as uploaded, ``stripped`` of metadata only, ``scaled`` decoded and encoded
    again)."""

    data: bytes
    ext: str
    content_type: str
    width: int
    height: int
    action: str


def corrupt(name: str) -> ValidationFailed:
    return ValidationFailed(N_("“%(name)s”不是一张完整的图片（文件损坏、没有传完，或内容与类型不符），"
                               "没有上传。请重新导出或重新拍摄后再传。"), name=name)


def too_many_pixels(name: str) -> ValidationFailed:
    return ValidationFailed(N_("“%(name)s”的像素超过 %(side)d×%(side)d（手机照片一般是 4000×3000），"
                               "解开要占用太多内存，可能是恶意构造的文件，没有上传。请先把图片缩小再传。"),
                            name=name, side=math.isqrt(MAX_PIXELS))


def prepare(data: bytes, name: str, content_type: str) -> Photo:
    """The image to store for an upload whose bytes were sniffed as ``content_type``.

    Raises ValidationFailed naming the file when it is not a whole image, has too many pixels,
    is an animation over the limits, or cannot be brought under the budget."""
    from PIL import Image

    fmt = FORMATS[content_type]
    with warnings.catch_warnings():
        # Pillow warns past its own (larger) pixel limit and raises past twice that
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels(name) from None
        except Exception:  # an untrusted file: whatever the decoder trips on is "not an image"
            raise corrupt(name) from None
        width, height = image.size
        if width * height > MAX_PIXELS or width <= 0 or height <= 0:
            raise too_many_pixels(name)
        # a phone's JPEG often holds a second, smaller picture (MPF): still one photo
        frames = 1 if fmt == "JPEG" else getattr(image, "n_frames", 1)
        try:
            orientation = image.getexif().get(ORIENTATION, 1) if fmt != "GIF" else 1
            if fmt == "JPEG" and frames == 1:
                # libjpeg decodes at 1/2, 1/4 or 1/8 straight away: a 12-MP photo is read as
                # 3 MP, in a quarter of the time and memory
                image.draft("RGB", (LONG_SIDE, LONG_SIDE))
            image.load()
            if frames > 1:
                image.seek(frames - 1)  # every frame decodes
                image.load()
                image.seek(0)
        except Exception:
            raise corrupt(name) from None
    fits = max(width, height) <= LONG_SIDE and len(data) <= BUDGET
    if fits and orientation in (1, None):
        stripped = strip_metadata(data, fmt)
        if stripped is None:
            raise corrupt(name)
        ext, ctype = OUTPUT.get(fmt, (".gif", "image/gif"))
        return Photo(stripped, ext, ctype, width, height,
                     "kept" if stripped == data else "stripped")
    if frames > 1:
        raise ValidationFailed(N_("“%(name)s”是动图（%(w)d×%(h)d，%(kb)d KB），超过图片 %(side)d 像素、"
                                  "%(budget)d KB 的上限；动图不能自动缩小，没有上传。请改用一张静态图片。"),
                               name=name, w=width, h=height, kb=len(data) // 1024,
                               side=LONG_SIDE, budget=BUDGET // 1024)
    return _scaled(image, fmt, name, len(data))


def _scaled(image, fmt: str, name: str, size: int) -> Photo:
    from PIL import Image, ImageOps

    # a CMYK photo's profile does not describe the RGB it becomes
    icc = image.info.get("icc_profile") if image.mode in ("RGB", "L", "P", "RGBA") else None
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):  # a 16-bit grey PNG: keep the top 8 bits
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if transparent and image.mode != "RGBA":
        image = image.convert("RGBA")
    elif image.mode not in ("RGB", "L", "RGBA"):
        image = image.convert("L" if image.mode in ("1", "LA") else "RGB")
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        image, transparent = image.convert("RGB"), False
    image.info = {}  # no EXIF, XMP or text goes back in; the colour profile is passed below
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    fmt = "PNG" if fmt == "GIF" else fmt
    while True:
        for data, out in _encodings(image, fmt, transparent, icc):
            if len(data) <= BUDGET:
                ext, ctype = OUTPUT[out]
                return Photo(data, ext, ctype, image.width, image.height, "scaled")
        side = int(max(image.size) * SHRINK)
        if side < MIN_SIDE:
            raise ValidationFailed(
                N_("“%(name)s”缩小到 %(side)d 像素后仍超过每张图片 %(budget)d KB 的上限，没有上传。"
                   "请换一张或先裁剪。"), name=name, side=max(image.size), budget=BUDGET // 1024)
        image.thumbnail((side, side), Image.Resampling.LANCZOS)


def _encodings(image, fmt: str, transparent: bool, icc: bytes | None):
    """(bytes, format) to try in order, smallest loss first."""
    from PIL import Image

    def save(img, out: str, **options) -> bytes:
        buffer = io.BytesIO()
        if icc:
            options["icc_profile"] = icc
        img.save(buffer, out, **options)
        return buffer.getvalue()

    if fmt == "PNG":
        yield save(image, "PNG", optimize=True), "PNG"
        if transparent:
            yield save(image.quantize(256, method=Image.Quantize.FASTOCTREE), "PNG", optimize=True), "PNG"
            return
        fmt = "JPEG"  # a photo kept as PNG: JPEG is what it should have been
    for quality in QUALITIES:
        if fmt == "JPEG":
            yield save(image, "JPEG", quality=quality, progressive=True, optimize=True), "JPEG"
        else:
            yield save(image, "WEBP", quality=quality, method=4), "WEBP"


# ---- cutting metadata out without decoding -----------------------------------------------------

def strip_metadata(data: bytes, fmt: str) -> bytes | None:
    """``data`` without its metadata (EXIF, XMP, IPTC, comments, text chunks, anything after the
    image's end), the picture's bytes untouched; None when the structure does not parse. A GIF
    carries no EXIF and is returned as it is."""
    try:
        if fmt == "JPEG":
            return _strip_jpeg(data)
        if fmt == "PNG":
            return _strip_png(data)
        if fmt == "WEBP":
            return _strip_webp(data)
    except (IndexError, struct.error, ValueError):
        return None
    return data


#: JPEG segments kept: JFIF (APP0), the colour profile (APP2 "ICC_PROFILE"), Adobe's colour
#: transform (APP14); every other APPn (EXIF and XMP in APP1, MPF's extra pictures in APP2,
#: IPTC in APP13, makers' notes) and comments (COM) go
_APP0, _APP2, _APP14, _COM, _SOS, _EOI = 0xE0, 0xE2, 0xEE, 0xFE, 0xDA, 0xD9


def _strip_jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("no SOI")
    out, i = [b"\xff\xd8"], 2
    while True:
        if data[i] != 0xFF:
            raise ValueError("marker expected")
        while data[i + 1] == 0xFF:  # fill bytes
            i += 1
        marker = data[i + 1]
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)  # what follows (a phone's second picture, with EXIF) goes
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[i:i + 2])
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        end = i + 2 + length
        if end > len(data) or length < 2:
            raise ValueError("segment past the end")
        segment = data[i:end]
        keep = not (0xE0 <= marker <= 0xEF or marker == _COM) or marker in (_APP0, _APP14) \
            or (marker == _APP2 and segment[4:16] == b"ICC_PROFILE\x00")
        if keep:
            out.append(segment)
        i = end
        if marker == _SOS:  # entropy-coded data runs to the next marker that is not RSTn
            start = i
            while True:
                i = data.index(b"\xff", i)
                following = data[i + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    i += 1
                    continue
                break
            out.append(data[start:i])


#: PNG chunks kept: the picture and how to colour it; text (tEXt, zTXt, iTXt, where XMP
#: lives), eXIf, tIME and anything unknown go
_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
             b"sBIT", b"pHYs", b"bKGD", b"acTL", b"fcTL", b"fdAT"}


def _strip_png(data: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no signature")
    out, i = [data[:8]], 8
    while True:
        length, kind = struct.unpack(">I4s", data[i:i + 8])
        end = i + 12 + length
        if end > len(data):
            raise ValueError("chunk past the end")
        if kind in _PNG_KEEP:
            out.append(data[i:end])
        i = end
        if kind == b"IEND":
            return b"".join(out)


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not RIFF WEBP")
    (riff_size,) = struct.unpack("<I", data[4:8])
    stop = min(len(data), 8 + riff_size)
    out, i = [], 12
    while i + 8 <= stop:
        kind, length = struct.unpack("<4sI", data[i:i + 8])
        end = i + 8 + length + (length & 1)
        if end > stop + (length & 1):
            raise ValueError("chunk past the end")
        chunk = data[i:end]
        if kind == b"VP8X":  # its flags say EXIF (0x08) and XMP (0x04) follow: not any more
            chunk = chunk[:8] + bytes([chunk[8] & ~0x0C]) + chunk[9:]
        if kind not in (b"EXIF", b"XMP "):
            out.append(chunk)
        i = end
    body = b"".join(out)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
