"""``engagement flags``: a campaign's suspicious engagement, rule by rule."""

from __future__ import annotations

import click

from ..display import cell
from ..errors import UsageError
from ..etl.flags import RULES
from ..schema import ENGAGEMENT_RATE, INFLUENCER_ID, RANK
from ..serving import Reader
from .app import cli, emit_json, json_option, opened, store_options


@cli.command("flags")
@click.argument("campaign")
@click.option("--rule", type=click.Choice(RULES), help="Only the influencers that tripped it.")
@store_options
@json_option
def flags_command(
    campaign: str,
    rule: str | None,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """The influencers of CAMPAIGN whose engagement tripped a rule (rate_outlier,
    mix_outlier, spike, near_total), in rank order: each flag with its reason and numbers."""
    with opened(mongodb_uri, database) as store:
        reader = Reader(store)
        found = reader.flags(campaign, rule).value
        if found is None:
            raise UsageError(reader.missing(campaign))
    if as_json:
        emit_json(found)
        return
    counts = ", ".join(f"{name} {count:,}" for name, count in found["counts"].items())
    click.echo(
        f"{campaign}: {len(found['items']):,} of {found['influencers']:,} influencers "
        f"flagged ({counts})"
    )
    for item in found["items"]:
        click.echo(
            f"#{item[RANK]} {item[INFLUENCER_ID]} ({cell(item[ENGAGEMENT_RATE], ENGAGEMENT_RATE)})"
        )
        for flag in item["flags"]:
            if rule is None or flag["rule"] == rule:
                click.echo(f"  {flag['rule']}: {flag['reason']}")
