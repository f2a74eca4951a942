"""``fieldkit translations status | add CODE | update | check``: the translators' commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from .. import catalogs
from ..cli import main, pass_ctx
from ..i18n import clear_caches, ngettext
from ..i18n import gettext as _
from ..languages import BY_CODE, LANGUAGES, Language, alias_target, canonical_tag

MARKER = "    # fieldkit translations add: new languages go above this line."

_dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Translations folder (default: the one FieldKit ships).",
)


@main.group()
def translations():
    """See, add, update and check the UI translations."""


@translations.command()
@click.option("--markdown", is_flag=True, help="Print a Markdown table (for the README).")
@_dir_option
def status(markdown, directory):
    """Per language: translated (not fuzzy), fuzzy, untranslated and words left."""
    pot = Path(directory or catalogs.TRANSLATIONS_DIR) / catalogs.TEMPLATE
    template = catalogs.read(pot) if pot.is_file() else catalogs.extract()
    rows = []
    for language in LANGUAGES:
        try:
            cov = catalogs.coverage(language.code, directory, template)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        rows.append((language, cov))
    if markdown:
        click.echo(
            "| Language | English name | Code | Translated | Fuzzy | Untranslated | Words left | Review |"
        )
        click.echo("|---|---|---|---:|---:|---:|---:|---|")
        for language, cov in rows:
            click.echo(
                f"| {language.endonym} | {language.english} | `{language.code}` | "
                f"{cov.translated}/{cov.total} ({cov.percent}%) | {cov.fuzzy} | {cov.untranslated} | "
                f"{cov.words_left} | {language.status} |"
            )
        return
    click.echo(
        f"{'code':7}{'language':30}{'translated':>16}{'fuzzy':>7}{'untranslated':>14}{'words left':>12}  review"
    )
    for language, cov in rows:
        name = (
            f"{language.endonym} / {language.english}"
            if language.english != language.endonym
            else language.endonym
        )
        click.echo(
            f"{language.code:7}{name[:29]:30}{f'{cov.translated}/{cov.total} {cov.percent}%':>16}"
            f"{cov.fuzzy:>7}{cov.untranslated:>14}{cov.words_left:>12}  {language.status}"
        )


@translations.command()
@_dir_option
def update(directory):
    """Extract the strings from the code and templates, and merge them into every catalog."""
    template, changed = catalogs.write_template(directory)
    click.echo(
        _(
            "%(file)s: %(count)s strings (%(state)s).",
            file=catalogs.TEMPLATE,
            count=len(template),
            state=_("updated") if changed else _("unchanged"),
        )
    )
    for code in catalogs.shipped_codes():
        path = catalogs.merge(code, template, directory)
        click.echo(_("%(code)s: merged into %(file)s", code=code, file=path.name))
    clear_caches()


@translations.command()
@click.option("--no-stale", is_flag=True, help="Skip the check that the catalogs match the code.")
@_dir_option
def check(no_stale, directory):
    """Fail on broken placeholders or HTML tags, stale catalogs, or fuzzy entries."""
    found = catalogs.problems(directory, stale=not no_stale)
    for line in found:
        click.echo(line, err=True)
    if found:
        raise click.ClickException(
            ngettext("%(num)s translation problem found.", "%(num)s translation problems found.", len(found))
        )
    click.echo(_("No problems found: placeholders, HTML tags and catalogs are in order."))


@translations.command()
@click.argument("code")
@click.option("--endonym", help="The language's name in itself (needed if CLDR does not know it).")
@click.option("--english", help="The language's name in English.")
@click.option("--formatting", help="CLDR locale for dates and numbers, e.g. en_GH (default: guessed).")
@click.option(
    "--fallback",
    "fallbacks",
    default="en",
    show_default=True,
    help="Languages to fall back on, comma-separated, ending with en (e.g. fr,en).",
)
@click.option("--plural-forms", help='For a language CLDR lacks, e.g. "nplurals=2; plural=(n != 1);".')
@click.option("--rtl", is_flag=True, help="Written right to left (only needed if CLDR does not know).")
@_dir_option
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), default=None, hidden=True)
def add(code, endonym, english, formatting, fallbacks, plural_forms, rtl, directory, registry):
    """Add a UI language: check CODE, write its registry row and an empty catalog."""
    raw = code.strip().replace("_", "-")
    target = alias_target(raw)
    if target:
        raise click.ClickException(
            _("“%(code)s” is an old or duplicate code; use “%(target)s” instead.", code=code, target=target)
        )
    tag = canonical_tag(raw)
    if not tag or tag.lower() != raw.lower():
        raise click.ClickException(_("“%(code)s” is not a language code such as wo, ak or pt-BR.", code=code))
    language = BY_CODE.get(tag) or _describe(tag, endonym, english, formatting, fallbacks, rtl)
    if tag not in BY_CODE:
        _write_registry_row(language, registry)
    path = catalogs.po_path(tag, directory)
    if path.is_file():
        click.echo(_("%(code)s already has a catalog: %(path)s", code=tag, path=path.name))
        return
    pot = Path(directory or catalogs.TRANSLATIONS_DIR) / catalogs.TEMPLATE
    template = catalogs.read(pot) if pot.is_file() else catalogs.write_template(directory)[0]
    catalog = catalogs.new_catalog(tag, template, plural_forms)
    catalogs.write(path, catalog)
    clear_caches()
    where = path.relative_to(path.parents[2]).as_posix()
    click.echo(
        _(
            "Added %(name)s (%(code)s) as a draft: translate %(path)s, then run `fieldkit translations check`.",
            name=language.endonym,
            code=tag,
            path=where,
        )
    )


def _describe(tag, endonym, english, formatting, fallbacks, rtl) -> Language:
    from babel import Locale
    from babel.core import get_global

    locale_id = tag.replace("-", "_")
    try:
        locale = Locale.parse(locale_id)
    except Exception:  # noqa: BLE001 - outside CLDR: the volunteer names it
        locale = None
    if locale is None and not (endonym and english):
        raise click.ClickException(
            _(
                "CLDR does not know “%(code)s”: give --endonym and --english (and --formatting, "
                "e.g. en_GH, for dates and numbers).",
                code=tag,
            )
        )
    if locale is not None:
        endonym = endonym or (locale.get_display_name(locale) or tag)
        endonym = endonym[:1].upper() + endonym[1:]
        english = english or locale.get_display_name("en") or tag
        likely = get_global("likely_subtags").get(locale.language, "")
        region = locale.territory or (likely.split("_")[-1] if likely.count("_") >= 1 else "")
        guess = f"{locale.language}_{region}" if region and not region.isdigit() else locale.language
        formatting = formatting or guess
        direction = "rtl" if rtl or locale.text_direction == "rtl" else "ltr"
    else:
        formatting = formatting or "en"
        direction = "rtl" if rtl else "ltr"
    chain = tuple(part.strip() for part in fallbacks.split(",") if part.strip())
    if not chain or chain[-1] != "en":
        chain = (*chain, "en")
    return Language(tag, endonym, english, formatting, fallbacks=chain, direction=direction)


def _write_registry_row(language: Language, registry: Path | None = None) -> None:
    from .. import languages as module

    path = Path(registry or module.__file__)
    text = path.read_text(encoding="utf-8")
    if MARKER not in text:
        raise click.ClickException(_("The language registry has no place marked for new languages."))
    extra = []
    if language.fallbacks != ("en",):
        extra.append(
            "fallbacks=(" + "".join(json.dumps(c) + ", " for c in language.fallbacks).rstrip(" ") + ")"
        )
    if language.direction != "ltr":
        extra.append(f'direction="{language.direction}"')
    quoted = [
        json.dumps(v, ensure_ascii=False)
        for v in (language.code, language.endonym, language.english, language.formatting)
    ]
    args = ", ".join([*quoted, *extra])
    row = f"    Language({args}),\n"
    text = re.sub(re.escape(MARKER), lambda _m: row + MARKER, text, count=1)
    path.write_text(text, encoding="utf-8")


@translations.command("merge-local")
@click.argument("code")
@_dir_option
@pass_ctx
def merge_local(ctx, code, directory):
    """Fold the translations saved inside FieldKit (this data folder) into CODE's shipped .po.

    The local entries stay in the data folder, and keep winning over the shipped text, so
    nothing is lost on either side; a release then ships the fix to new installs too.
    """
    from ..db import connect
    from ..queries import catalog as local

    path = catalogs.po_path(code, directory)
    if code not in BY_CODE or code == "en" or not path.is_file():
        raise click.ClickException(_("No shipped catalog for %(code)s.", code=code))
    app = ctx.app()
    conn = connect(app.config["DATABASE"])
    try:
        entries = local.entries(conn, code)
    finally:
        conn.close()
    catalog = catalogs.read(path, None)
    merged = 0
    for message in catalog:
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        entry = entries.get((message.context or "", ids[0])) if message.id else None
        if entry is None:
            continue
        forms = entry["forms"]
        message.string = tuple(forms) if isinstance(message.id, (list, tuple)) else forms[0]
        message.flags.discard("fuzzy")
        merged += 1
    catalogs.write(path, catalog, ignore_obsolete=True)
    clear_caches()
    click.echo(
        ngettext(
            "%(num)s local translation merged into %(file)s.",
            "%(num)s local translations merged into %(file)s.",
            merged,
            file=path.name,
        )
    )
