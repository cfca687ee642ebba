"""Templates compare a status or kind by its value (`signup.status.value == 'confirmed'`): such a literal must be a
value of one of the app's enums, or the branch would silently never be taken."""

from __future__ import annotations

import enum
import itertools
import sys

from jinja2 import nodes

from app.config import BASE_DIR


def _enum_values_in_app() -> set[str]:
    """Every value of every string enum in the app's modules: statuses, kinds, states, a report column's kind."""
    found: set[str] = set()
    seen = set()
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("app."):
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.StrEnum) and value not in seen:
                seen.add(value)
                found |= {member.value for member in value}
    return found


def _literals(node) -> list[str]:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, nodes.Tuple | nodes.List):
        return [item.value for item in node.items if isinstance(item, nodes.Const) and isinstance(item.value, str)]
    return []


def _value_comparisons(tree) -> list[tuple[str, str, int]]:
    """(attribute, literal, line) for every `x.<attribute>.value == 'literal'` (also !=, in, not in, either side)."""
    found = []
    for compare in tree.find_all(nodes.Compare):
        operands = [compare.expr, *(operand.expr for operand in compare.ops)]
        for left, right in itertools.pairwise(operands):
            for side, other in ((left, right), (right, left)):
                if isinstance(side, nodes.Getattr) and side.attr == "value" and isinstance(side.node, nodes.Getattr):
                    found += [(side.node.attr, literal, compare.lineno) for literal in _literals(other)]
    return found


def test_enum_value_literals_in_templates_exist(app):
    every = _enum_values_in_app()
    wrong = []
    checked = 0
    for path in sorted((BASE_DIR / "templates").rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        tree = app.jinja_env.parse(source)
        for attribute, literal, line in _value_comparisons(tree):
            checked += 1
            if literal not in every:
                wrong.append(f"{path.relative_to(BASE_DIR)}:{line}: {attribute}.value == {literal!r}")
    assert wrong == []
    assert checked >= 20  # the shift cards, memberships, proposals, attachments: the check looks at them


def test_the_check_sees_a_misspelt_value(app):
    every = _enum_values_in_app()
    tree = app.jinja_env.parse("{% if signup.status.value == 'confirmd' %}x{% endif %}")
    ((attribute, literal, _line),) = _value_comparisons(tree)
    assert (attribute, literal) == ("status", "confirmd")
    assert literal not in every
    assert {"confirmed", "waitlisted", "pending", "changes_requested", "report"} <= every


def test_an_item_address_pattern_gives_the_address_item_url_gives(app):
    """A long list formats `item_url_pattern` with each item's id: the same address `item_url` builds, also where
    the app is served under a prefix that has a percent sign in its address."""
    from app.templating import item_url, item_url_pattern

    for root in ("", "/100%25"):
        with app.test_request_context("/", base_url=f"http://lotse.example{root}"):
            address = item_url("dialogs.detail", dialog_id=42)
            assert item_url_pattern("dialogs.detail", "dialog_id") % 42 == address
            assert address.endswith("/dialogs/42") and (root == "" or "%" in address)
