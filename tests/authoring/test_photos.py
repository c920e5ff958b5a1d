"""An uploaded photo is scaled down for phones (issue 13, point 11): upright, at most 1280 px and
200 KB, without EXIF (GPS); small clean images pass unchanged; bombs, truncated and corrupt
files are refused by name, leaving no file and no row. The images are drawn here with Pillow."""
from __future__ import annotations

import io
import json

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.authoring import photos, uploads
from lms.core.errors import ValidationFailed
from lms.courses import media
from lms.courses.models import MediaFile
from lms.extensions import db
from tests.helpers import EDITOR_COURSE, png

RED = (255, 0, 0)


def _post(client, course, name: str, data: bytes):
    return client.post(f"/authoring/courses/{course.id}/media",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def _count() -> int:
    return db.session.scalar(select(func.count(MediaFile.id)))


def _files() -> set[str]:
    return {p.name for p in media.media_folder().iterdir()}


def _noisy(width: int, height: int, sigma: float = 40) -> Image.Image:
    """A picture a JPEG cannot squeeze much: noise over a gradient (a field of rice, roughly)."""
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), sigma)
    return Image.merge("RGB", (noise, gradient, Image.blend(gradient, noise, 0.5)))


def _is_red(pixel) -> bool:
    return pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60


def _exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Fieldphone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 27.0, 3.0)
    return exif


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    """4000×3000 as the sensor reads it, red in its top-left corner, EXIF orientation 6 (the
    phone was held upright: turn 90° clockwise to show) and where it was taken."""
    image = _noisy(4000, 3000)
    image.paste(RED, (0, 0, 600, 450))
    data = _encode(image, "JPEG", quality=92, exif=_exif(orientation=6))
    assert len(data) > 3 * 1024 * 1024
    return data


def test_a_phone_photo_is_stored_upright_small_and_without_where_it_was_taken(
        client_for, trainer, make_course, phone_photo):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    page = _post(client_for(trainer), course, "Field Photo.JPG", phone_photo)
    text = page.get_data(as_text=True)
    row = db.session.scalar(select(MediaFile))
    assert (row.path, row.content_type) == ("media/field-photo.jpg", "image/jpeg")
    stored = media.stored_path(row.sha256, ".jpg").read_bytes()
    assert row.size == len(stored) <= photos.BUDGET
    assert f"存为 {-(-row.size // 1024)} KB" in text and "拍摄地点等附带信息已去掉" in text
    picture = Image.open(io.BytesIO(stored))
    assert picture.size == (960, 1280)  # upright: portrait, the longer side at the limit
    assert picture.info.get("progressive")
    w, h = picture.size
    red = [_is_red(picture.getpixel(xy)) for xy in ((20, 20), (w - 20, 20), (20, h - 20),
                                                   (w - 20, h - 20))]
    assert red == [False, True, False, False]  # the sensor's top-left is now the top-right
    assert len(picture.getexif()) == 0 and b"Exif\x00\x00" not in stored
    assert b"Fieldphone" not in stored
    audit = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "authoring.media.upload"))
    detail = json.loads(audit.detail)
    assert (detail["uploaded"], detail["size"]) == (len(phone_photo), row.size)


def test_the_quota_counts_the_stored_bytes(app, trainer, make_course, phone_photo):
    """A 1 MB course quota takes a photo uploaded at several MB: what is kept is ≤ 200 KB."""
    app.config.update(MEDIA_QUOTA_COURSE_MB=1)
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    assert len(phone_photo) > 1024 * 1024
    row = uploads.upload_media(trainer, course, "photo.jpg", phone_photo)
    assert row.size <= photos.BUDGET
    assert db.session.scalar(select(func.sum(MediaFile.size))) == row.size


def test_a_small_clean_png_is_stored_as_it_came(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    data = png(40, 30)
    text = _post(client_for(trainer), course, "map.png", data).get_data(as_text=True)
    row = db.session.scalar(select(MediaFile))
    assert media.stored_path(row.sha256, ".png").read_bytes() == data
    assert (row.path, row.size) == ("media/map.png", len(data))
    assert "已上传图片 media/map.png。" in text


def test_a_small_jpeg_loses_its_exif_but_not_a_pixel(trainer, make_course):
    """Within the size and budget: the metadata is cut out, the picture is not encoded again."""
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    data = _encode(_noisy(600, 400, 10), "JPEG", quality=85, exif=_exif(),
                   comment=b"taken at the dock")
    row = uploads.upload_media(trainer, course, "dock.jpg", data)
    stored = media.stored_path(row.sha256, ".jpg").read_bytes()
    assert len(stored) < len(data)
    assert b"Exif\x00\x00" not in stored and b"taken at the dock" not in stored
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


def test_a_photo_saved_as_png_becomes_a_jpeg_and_a_drawing_with_transparency_stays_png(
        trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    photo = uploads.upload_media(trainer, course, "scan.png", _encode(_noisy(2000, 1500), "PNG"))
    assert (photo.path, photo.content_type) == ("media/scan.jpg", "image/jpeg")
    assert photo.size <= photos.BUDGET
    drawing = Image.new("RGBA", (1600, 1200), (0, 0, 0, 0))
    drawing.paste((200, 30, 30, 255), (100, 100, 1500, 1100))
    kept = uploads.upload_media(trainer, course, "flag.png", _encode(drawing, "PNG"))
    assert (kept.path, kept.content_type) == ("media/flag.png", "image/png")
    picture = Image.open(media.stored_path(kept.sha256, ".png"))
    assert picture.size == (1280, 960) and picture.mode == "RGBA"
    assert picture.getpixel((0, 0))[3] == 0


def test_a_decompression_bomb_is_refused_by_name_before_it_is_decoded(
        client_for, trainer, make_course):
    """9000×8000 one-bit pixels: 9 KB of PNG that a decoder would unpack to 216 MB of RGB."""
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    bomb = _encode(Image.new("1", (9000, 8000)), "PNG")
    assert len(bomb) < 20 * 1024
    before = _files()
    text = _post(client_for(trainer), course, "poster.png", bomb).get_data(as_text=True)
    assert "“poster.png”的像素超过 8192×8192" in text and "没有上传" in text
    assert _count() == 0 and _files() == before


@pytest.mark.parametrize("name, damage", [
    ("half.jpg", lambda data: data[:len(data) // 2]),
    ("garbled.jpg", lambda data: data[:600] + bytes(2000) + data[2600:]),
    ("fake.png", lambda data: b"\x89PNG\r\n\x1a\n" + b"not a picture at all" * 50),
    ("fake.webp", lambda data: b"RIFF\x10\x00\x00\x00WEBPVP8 nothing here"),
])
def test_a_truncated_or_corrupt_image_is_refused_leaving_nothing(client_for, trainer, make_course,
                                                                  name, damage):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    data = damage(_encode(_noisy(800, 600), "JPEG", quality=90))
    before = _files()
    text = _post(client_for(trainer), course, name, data).get_data(as_text=True)
    assert f"“{name}”不是一张完整的图片" in text and "没有上传" in text
    assert _count() == 0 and _files() == before


def test_an_animation_passes_when_small_and_is_refused_when_it_would_need_scaling(
        trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    colours = (RED, (0, 0, 255), (0, 160, 0))
    frames = [Image.new("RGB", (64, 64), colour) for colour in colours]
    small = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(small)).n_frames == 3
    row = uploads.upload_media(trainer, course, "wave.gif", small)
    assert media.stored_path(row.sha256, ".gif").read_bytes() == small
    big = [Image.new("RGB", (1600, 100), colour) for colour in colours]
    with pytest.raises(ValidationFailed, match="动图.*不能自动缩小"):
        uploads.upload_media(trainer, course, "banner.gif",
                             _encode(big[0], "GIF", save_all=True, append_images=big[1:]))
    assert _count() == 1


@pytest.mark.parametrize("mode, fmt", [
    ("I;16", "PNG"), ("1", "PNG"), ("L", "PNG"), ("P", "PNG"), ("RGBA", "PNG"), ("CMYK", "JPEG"),
    ("L", "JPEG"), ("RGB", "WEBP"), ("RGBA", "WEBP"), ("P", "GIF"),
])
def test_every_kind_of_picture_comes_out_within_the_limits(mode, fmt):
    """Scanners write 16-bit grey and one-bit PNGs, printers' files CMYK JPEGs."""
    grey = Image.linear_gradient("L").resize((2400, 1800))
    image = grey.convert("I").point(lambda v: v * 256).convert("I;16") if mode == "I;16" \
        else grey.convert(mode)
    ctype = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
    photo = photos.prepare(_encode(image, fmt), f"x.{fmt.lower()}", ctype[fmt])
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.size == (photo.width, photo.height) == (1280, 960)
    assert len(photo.data) <= photos.BUDGET and stored.mode in ("L", "RGB", "RGBA", "P")
    darkest, lightest = stored.convert("L").getextrema()
    assert darkest < 40 and lightest > 215  # the gradient is still there, not one colour


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_metadata_is_cut_out_of_png_and_webp_leaving_the_pixels(fmt):
    image = _noisy(300, 200, 20)
    exif = _exif()
    data = _encode(image, fmt, exif=exif, **({"lossless": True} if fmt == "WEBP" else {}))
    assert b"Fieldphone" in data
    stripped = photos.strip_metadata(data, fmt)
    assert b"Fieldphone" not in stripped and len(stripped) < len(data)
    again = Image.open(io.BytesIO(stripped))
    assert len(again.getexif()) == 0 and again.tobytes() == Image.open(io.BytesIO(data)).tobytes()
