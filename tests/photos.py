"""Photos as phones take them: EXIF GPS, camera make, model and serial, XMP, a comment, and a
second picture after the first (MPF) with its own EXIF."""

from __future__ import annotations

import io

from PIL import Image, TiffImagePlugin

GPS_IFD, EXIF_IFD = 0x8825, 0x8769
MAKE, MODEL, ORIENTATION, BODY_SERIAL, MAKER_NOTE = 0x010F, 0x0110, 0x0112, 0xA431, 0x927C
#: Strings that must not survive anywhere in a stored photo.
SECRETS = (b"PhoneMaker", b"Model X-42", b"SN-99887766", b"MakerNoteSecret", b"xmp-secret", b"comment-secret")


def _exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[MODEL] = "Model X-42"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update(
        {
            1: "S",
            2: (
                TiffImagePlugin.IFDRational(0),
                TiffImagePlugin.IFDRational(6),
                TiffImagePlugin.IFDRational(30),
            ),
            3: "E",
            4: (
                TiffImagePlugin.IFDRational(34),
                TiffImagePlugin.IFDRational(45),
                TiffImagePlugin.IFDRational(0),
            ),
        }
    )
    exif.get_ifd(EXIF_IFD).update({BODY_SERIAL: "SN-99887766", MAKER_NOTE: b"MakerNoteSecret"})
    return exif


def jpeg_with_metadata(size=(64, 48), orientation: int = 6) -> bytes:
    """A JPEG carrying every kind of metadata a phone adds, plus a trailing second picture."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(
        out, "JPEG", exif=_exif(orientation), comment=b"comment-secret", quality=90
    )
    data = out.getvalue()
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>xmp-secret GPSLatitude</x:xmpmeta>"
    segment = b"\xff\xe1" + (len(xmp) + 2).to_bytes(2, "big") + xmp
    data = data[:2] + segment + data[2:]
    preview = io.BytesIO()
    Image.new("RGB", (8, 8)).save(preview, "JPEG", exif=_exif())
    return data + preview.getvalue()


def png_with_metadata() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "comment-secret")
    info.add_itxt("XML:com.adobe.xmp", "xmp-secret")
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 90, 200)).save(out, "PNG", pnginfo=info, exif=_exif())
    return out.getvalue()


def webp_with_metadata() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 200, 90)).save(out, "WEBP", exif=_exif(), xmp=b"xmp-secret")
    return out.getvalue()


def assert_clean(data: bytes) -> None:
    """No GPS, no camera, no XMP, no comment, nothing after the picture; still a picture."""
    for secret in SECRETS:
        assert secret not in data, secret
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert GPS_IFD not in exif and MAKE not in exif and MODEL not in exif and EXIF_IFD not in exif
        assert not exif.get_ifd(GPS_IFD)
        image.load()
