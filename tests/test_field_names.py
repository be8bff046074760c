"""JSON field names are spelled in ``engagement.schema``, not as string literals.

The code outside the schema names a performer's key, its rates and its ranks by the schema's
constants (``schema.CAMPAIGN_ID``, ``schema.ENGAGEMENT_RATE``, ...): a string literal equal to
one of them anywhere in ``engagement/`` or ``api/`` fails here, with its file and line.
Docstrings are prose and may name fields freely.
"""

from __future__ import annotations

import ast
import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

import engagement
from api.routes import performers
from engagement import rules, schema

ROOT = Path(engagement.__file__).resolve().parent.parent
SCHEMA = ROOT / "engagement" / "schema.py"

#: Each constant, and the model it is a field of.
CONSTANTS: dict[str, type[BaseModel]] = {
    "CAMPAIGN_ID": schema.Performer,
    "INFLUENCER_ID": schema.Performer,
    "ENGAGEMENT_RATE": schema.Performer,
    "CREDIBLE_RATE": schema.Performer,
    "RANK": schema.Performer,
    "CREDIBLE_RANK": schema.Performer,
}
NAMES = frozenset(getattr(schema, constant) for constant in CONSTANTS)

#: Module-level assignments whose literals stay, each tied to the schema by a test below:
#: ``rules.ID_COLUMNS`` (the input file's id columns), as the schema imports the rules and the
#: rules cannot import it; ``performers.Order``, a ``Literal`` (the OpenAPI enum of ``by``),
#: which takes no names.
EXEMPT = {("engagement/rules.py", "ID_COLUMNS"), ("api/routes/performers.py", "Order")}


def sources() -> list[Path]:
    files = [*(ROOT / "engagement").rglob("*.py"), *(ROOT / "api").rglob("*.py")]
    return sorted(path for path in files if path != SCHEMA)


def docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and its functions."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
        ):
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.add(id(first.value))
    return found


def exempt(tree: ast.Module, relative: str) -> set[int]:
    """The ids of the nodes inside an exempt module-level assignment."""
    found: set[int] = set()
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and (relative, t.id) in EXEMPT for t in targets):
            found.update(id(inner) for inner in ast.walk(node))
    return found


def field_literals(tree: ast.Module, skipped: set[int]) -> Iterator[ast.Constant]:
    """The string literals of a tree that are field names, but for the ``skipped`` nodes and
    the literal parts of f-strings (a string that merely contains a name)."""
    parts = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in NAMES
            and id(node) not in skipped
            and id(node) not in parts
        ):
            yield node


def literals(path: Path) -> list[tuple[str, int, str]]:
    """``(path, line, name)`` for each string literal in a file that is a field name."""
    relative = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = docstrings(tree) | exempt(tree, relative)
    return [(relative, node.lineno, node.value) for node in field_literals(tree, skipped)]


def test_field_names_are_not_spelled_outside_the_schema() -> None:
    files = sources()
    assert len(files) > 60
    found = sorted(hit for path in files for hit in literals(path))
    places = "\n".join(f"{path}:{line} {name!r}" for path, line, name in found)
    assert found == [], f"use the schema's constants (schema.CAMPAIGN_ID, ...):\n{places}"


def test_the_check_sees_literals_but_not_docstrings() -> None:
    code = (
        '"""Names engagementRate."""\n'
        "class C:\n"
        '    """credibleRate"""\n'
        "def f() -> None:\n"
        '    """rank"""\n'
        '    x = {"campaignId": 1}["campaignId"]\n'
        '    y = f"{x}rank" + "influencerIds"\n'
        '    "credibleRank"\n'
        "ID_COLUMNS = ('influencerId',)\n"
    )
    tree = ast.parse(code)
    hits = sorted(node.lineno for node in field_literals(tree, docstrings(tree)))
    assert hits == [6, 6, 8, 9]
    rules_exempt = exempt(tree, "engagement/rules.py")
    assert sorted(node.lineno for node in field_literals(tree, rules_exempt)) == [3, 5, 6, 6, 8]


def test_each_constant_is_a_field_of_its_model() -> None:
    for constant, model in CONSTANTS.items():
        name = getattr(schema, constant)
        assert isinstance(name, str)
        assert name in model.model_fields, f"schema.{constant} = {name!r} is not a field"
    assert len(NAMES) == len(CONSTANTS)
    assert schema.CAMPAIGN_ID in schema.Campaign.model_fields
    assert schema.ENGAGEMENT_RATE in schema.Campaign.model_fields
    assert schema.INFLUENCER_ID in schema.Influencer.model_fields
    assert schema.INFLUENCER_ID in schema.Mover.model_fields


def test_the_pair_and_the_orders_use_the_constants() -> None:
    assert schema.PAIR == (schema.CAMPAIGN_ID, schema.INFLUENCER_ID)
    assert schema.ORDERS == {
        schema.ENGAGEMENT_RATE: schema.RANK,
        schema.CREDIBLE_RATE: schema.CREDIBLE_RANK,
        schema.CPE: schema.CPE_RANK,
        schema.EMV: schema.EMV_RANK,
    }
    assert schema.DEFAULT_ORDER == schema.ENGAGEMENT_RATE
    assert next(iter(schema.ORDERS)) == schema.DEFAULT_ORDER


def test_the_api_order_enum_is_the_schema_orders() -> None:
    assert typing.get_args(performers.Order) == tuple(schema.ORDERS)


def test_the_input_id_columns_are_the_schema_pair() -> None:
    assert set(rules.ID_COLUMNS) == set(schema.PAIR)
    assert rules.ID_COLUMNS == (schema.INFLUENCER_ID, schema.CAMPAIGN_ID)
