"""Remake the Devanagari web fonts FieldKit ships, so Hindi renders where no Noto font is installed.

Takes Noto Sans Devanagari (Regular and Bold, SIL Open Font License 1.1) from Debian's
``fonts-noto-core`` package, keeps the Devanagari block (with the Vedic and extended marks,
the joiners and the dotted circle that shaping inserts) plus basic Latin digits and
punctuation, keeps every OpenType layout feature (conjuncts and matras need them), and writes
WOFF2 files to ``static/fonts/`` with the licence beside them. ``static/app.css`` declares them
with a ``unicode-range`` so only pages with Devanagari text download them.

A development tool, not a runtime dependency::

    .venv/bin/pip install fonttools brotli
    .venv/bin/python scripts/subset_fonts.py [--source DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "fonts"
DEBIAN_FONTS = Path("/usr/share/fonts/truetype/noto")
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-core/copyright")

FAMILY = "NotoSansDevanagari"
STYLES = ("Regular", "Bold")

#: What the subset keeps: the Devanagari block, Vedic extensions, Devanagari Extended, the
#: zero-width (non-)joiners, the dotted circle, the rupee sign, and printable ASCII (digits
#: and punctuation typed inside Hindi text).
UNICODES = [
    *range(0x0900, 0x0980),
    *range(0x1CD0, 0x1D00),
    *range(0xA8E0, 0xA900),
    0x200C,
    0x200D,
    0x25CC,
    0x20B9,
    *range(0x0020, 0x0041),
    *range(0x005B, 0x0061),
    *range(0x007B, 0x007F),
    0x00A0,
    0x2013,
    0x2014,
    0x2018,
    0x2019,
    0x201C,
    0x201D,
    0x2026,
]


def subset(source: Path, target: Path) -> int:
    """Write the WOFF2 subset of one font file; returns its size in bytes."""
    from fontTools import subset as ft_subset

    options = ft_subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # the copyright notice and licence stay inside the font (OFL §2)
    options.notdef_outline = True
    options.hinting = False  # phones and current desktop browsers ignore TrueType hinting
    font = ft_subset.load_font(str(source), options)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    ft_subset.save_font(font, str(target), options)
    return target.stat().st_size


def licence_text(copyright_file: Path, notice: str) -> str:
    """The OFL 1.1 text from Debian's copyright file, under the font's own copyright notice."""
    text = copyright_file.read_text(encoding="utf-8")
    found = re.search(r"^License: OFL-1\.1\n((?: .*\n?)+)", text, flags=re.MULTILINE)
    if not found:
        raise SystemExit(f"No OFL-1.1 licence text in {copyright_file}")
    lines = [line[1:] for line in found.group(1).splitlines()]
    body = "\n".join("" if line == "." else line for line in lines).strip()
    return (
        f"{notice}\n\n"
        "The files in this folder are subsets of Noto Sans Devanagari made by scripts/subset_fonts.py.\n"
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.\n\n"
        f"SIL OPEN FONT LICENSE\nVersion 1.1 - 26 February 2007\n\n{body}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEBIAN_FONTS, help="Folder with the Noto .ttf files.")
    parser.add_argument("--copyright", type=Path, default=DEBIAN_COPYRIGHT, help="Debian copyright file.")
    args = parser.parse_args(argv)
    try:
        from fontTools.ttLib import TTFont
    except ImportError:
        sys.exit("fontTools is missing: .venv/bin/pip install fonttools brotli")
    OUT.mkdir(parents=True, exist_ok=True)
    notice = ""
    for style in STYLES:
        source = args.source / f"{FAMILY}-{style}.ttf"
        if not source.is_file():
            print(f"skipped {style}: {source} not found (apt install fonts-noto-core)")
            continue
        notice = notice or TTFont(str(source))["name"].getDebugName(0)
        target = OUT / f"{FAMILY}-{style}.subset.woff2"
        size = subset(source, target)
        print(f"{target.relative_to(ROOT)}: {size:,} bytes (from {source.stat().st_size:,})")
    if not notice:
        sys.exit(f"No {FAMILY} font found in {args.source}")
    (OUT / "OFL.txt").write_text(licence_text(args.copyright, notice), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
