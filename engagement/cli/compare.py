"""``engagement compare``: the probability that one influencer truly beats another."""

from __future__ import annotations

import click

from ..errors import UsageError
from ..schema import CREDIBLE_RATE, ENGAGEMENT_RATE, INFLUENCER_ID
from ..serving import Reader
from .app import cli, emit_json, json_option, opened, store_options
from .format import table


@cli.command("compare")
@click.argument("campaign")
@click.argument("a")
@click.argument("b", required=False)
@store_options
@json_option
def compare_command(
    campaign: str,
    a: str,
    b: str | None,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """The probability that A's true engagement rate in CAMPAIGN beats B's (without B: the
    campaign's pooled rate), under the credible rate's beta posteriors."""
    with opened(mongodb_uri, database) as store:
        reader = Reader(store)
        found = reader.compare(campaign, a, b).value
        if found is None:
            raise UsageError(reader.missing(campaign, a, b))
    if as_json:
        emit_json(found)
        return
    click.echo(found["sentence"])
    sides = [side for side in (found["a"], found["b"]) if side is not None]
    columns = [INFLUENCER_ID, "posts", "views", "interactions", ENGAGEMENT_RATE, CREDIBLE_RATE]
    click.echo(table(sides, columns))
