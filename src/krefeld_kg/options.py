"""Click options shared by the commands of every module (cli, commands_remote, serve.command).

Only click is imported here, so that ``krefeld-kg --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from .defaults import DEFAULT_BASE

ROOT = Path(__file__).resolve().parents[2]


def _checked_base(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    # Checked here, once for every command that takes --base (exit 2), not by each command around its call.
    from .namespaces import InvalidIRI, check_base

    try:
        return check_base(value)
    except InvalidIRI as exc:
        raise click.BadParameter(str(exc)) from None


base_option = click.option(
    "--base",
    default=DEFAULT_BASE,
    show_default=True,
    envvar="KREFELD_KG_BASE",
    callback=_checked_base,
    help="Base IRI of resource IRIs.",
)
data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=ROOT / "data",
    show_default="data/",
    help="Directory of the edit files (*.ttl).",
)
release_option = click.option(
    "--release",
    "release_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("dist"),
    show_default=True,
    help="Directory of a built release.",
)
