"""Course media on disk under content-hashed names (instance/media/<sha256><ext>).

The name changes whenever the bytes do, so a served file may be cached for a year; the type is
decided from the file's first bytes, never from its name.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from lms.core.files import write_atomic

#: URL prefix the media route serves under (lesson HTML is rendered with these URLs)
MEDIA_URL = "/media/"

#: magic bytes → (extension, content type)
SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
    (b"GIF87a", ".gif", "image/gif"),
    (b"GIF89a", ".gif", "image/gif"),
    (b"ID3", ".mp3", "audio/mpeg"),
    (b"\xff\xfb", ".mp3", "audio/mpeg"),
    (b"\xff\xf3", ".mp3", "audio/mpeg"),
    (b"\xff\xf2", ".mp3", "audio/mpeg"),
    (b"OggS", ".ogg", "audio/ogg"),
]
EXTENSIONS = {".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif",
              ".webp": "image/webp", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
              ".m4a": "audio/mp4", ".webm": "audio/webm"}

#: MP4 brands of audio files: iTunes' M4A, and what phones' recorders write (Safari's
#: MediaRecorder gives ``iso5``/``mp42``-branded audio/mp4)
MP4_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso5", b"iso6", b"dash")
#: Matroska codec ids of video tracks: a WebM with a picture is not a lesson's audio
WEBM_VIDEO_CODECS = (b"V_VP8", b"V_VP9", b"V_AV1", b"V_MPEG4", b"V_MPEGH")


def extension_for(content_type: str) -> str:
    return next(ext for ext, ctype in EXTENSIONS.items() if ctype == content_type)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(extension, content type) from the bytes themselves; None when not an allowed type."""
    for magic, ext, ctype in SIGNATURES:
        if data.startswith(magic):
            return ext, ctype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp", "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in MP4_AUDIO_BRANDS:
        return ".m4a", "audio/mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3" and b"\x42\x82\x84webm" in data[:64]:
        # EBML header whose DocType is "webm" (what Chrome's and Firefox's MediaRecorder write)
        return ".webm", "audio/webm"
    return None


def has_video(data: bytes) -> bool:
    """Whether a WebM file's track list names a video codec (recorded audio has none)."""
    head = data[:65536]
    return any(codec in head for codec in WEBM_VIDEO_CODECS)


def media_folder() -> Path:
    folder = Path(current_app.instance_path) / "media"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_path(sha256: str, ext: str) -> Path:
    return media_folder() / f"{sha256}{ext}"


def store(data: bytes, sha256: str, ext: str) -> Path:
    """Write the bytes once under their hash (atomically; an existing file is kept). Raises
    :class:`lms.core.files.DiskFull` when the disk is full, leaving no temp file."""
    return write_atomic(stored_path(sha256, ext), data, keep_existing=True)


def media_url(sha256: str, ext: str) -> str:
    return f"{MEDIA_URL}{sha256}{ext}"
