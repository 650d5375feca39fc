"""YAML that Luna reads from someone else (prompt versions, golden sets, config files) has no anchors,
no aliases and no deep nesting: a few hundred bytes of aliases stand for billions of nodes, and deep
nesting overflows PyYAML's recursive composer. Both are refused at their line, before anything is built.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from luna.domain.config_file import (
    MAX_YAML_DEPTH,
    ConfigFileError,
    RefusedYaml,
    load_config_file,
    load_yaml,
    parse_yaml,
)
from luna.domain.errors import InvalidInput
from luna.domain.prompt_versions import packaged_prompt_text
from luna.services.evaluation.evaluation import read_golden_sets

GOLDEN_ENTRY = "- id: q1\n  question: Was kostet Strom?\n  file: preise.md\n  needles: ['8,12 ct/kWh']\n"


def laughs(levels: int = 9) -> str:
    """The "billion laughs" text: each level a list of nine aliases of the level before."""
    lines = ['l0: &l0 "lol"'] + [
        f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]" for level in range(1, levels + 1)
    ]
    return "\n".join(lines) + "\n"


def nested(depth: int) -> str:
    """A block mapping ``depth`` mappings deep, one key a line."""
    return "".join(f"{'  ' * level}k{level}:\n" for level in range(depth - 1)) + "  " * (depth - 1) + "k: v\n"


def refusal(text: str) -> RefusedYaml:
    with pytest.raises(RefusedYaml) as raised:
        parse_yaml(text)
    return raised.value


def test_plain_yaml_gives_the_node_tree_and_the_same_data_as_the_safe_loader() -> None:
    text = packaged_prompt_text()

    node, data = parse_yaml(text)

    assert isinstance(node, yaml.MappingNode) and data == yaml.safe_load(text)
    assert load_yaml("<<: {a: 1}\nb: [1, {c: d}]\n") == {"a": 1, "b": [1, {"c": "d"}]}
    assert parse_yaml("") == (None, None) and load_yaml("# nur ein Kommentar\n") is None


@pytest.mark.parametrize(
    ("text", "line", "found"),
    [
        (laughs(), 1, "&l0"),
        ("name: Luna\nalso: *name\n", 2, "*name"),
        ("a: 1\nb: &b {c: 2}\n", 2, "&b"),
        ("- !!str &s text\n", 1, "&s"),
    ],
)
def test_anchors_and_aliases_are_refused_at_their_line(text: str, line: int, found: str) -> None:
    refused = refusal(text)

    assert refused.problem == f"found {found}: anchors (&name) and aliases (*name) are not allowed"
    assert refused.problem_mark is not None and refused.problem_mark.line + 1 == line
    assert isinstance(refused, yaml.YAMLError)  # callers report it like any other YAML fault


def test_nesting_up_to_the_limit_is_read_and_one_level_more_is_refused() -> None:
    assert load_yaml(nested(MAX_YAML_DEPTH)) is not None
    assert load_yaml("[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH) is not None

    refused = refusal(nested(MAX_YAML_DEPTH + 1))

    assert refused.problem == f"nested deeper than {MAX_YAML_DEPTH} levels"
    assert refused.problem_mark is not None and refused.problem_mark.line + 1 == MAX_YAML_DEPTH + 1


@pytest.mark.parametrize(
    "text", ["a: " + "[" * 5000 + "]" * 5000, "a: " + "{b: " * 5000 + "}" * 5000, "- " * 20_000 + "x"]
)
def test_nesting_far_too_deep_is_refused_not_a_recursion_error(text: str) -> None:
    assert refusal(text).problem == f"nested deeper than {MAX_YAML_DEPTH} levels"


class _Settings(BaseModel):
    name: str
    size: int = 1


def test_a_config_file_with_an_alias_is_refused_by_file_and_line() -> None:
    with pytest.raises(ConfigFileError) as raised:
        load_config_file("name: &n energy\nsize: 2\nother: *n\n", "energy.yaml", _Settings)

    assert raised.value.problems == [
        "energy.yaml, line 1: malformed YAML: found &n: anchors (&name) and aliases (*name) are not allowed"
    ]
    assert load_config_file("name: energy\nsize: 2\n", "energy.yaml", _Settings) == _Settings(
        name="energy", size=2
    )


def test_a_golden_set_with_aliases_or_deep_nesting_is_refused(tmp_path: Path) -> None:
    aliased = tmp_path / "aliased.yaml"
    aliased.write_text(GOLDEN_ENTRY + "- &e {id: q2}\n- *e\n", encoding="utf-8")
    deep = tmp_path / "deep.yaml"
    deep.write_text(GOLDEN_ENTRY + "- " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    plain = tmp_path / "plain.yaml"
    plain.write_text(GOLDEN_ENTRY, encoding="utf-8")

    with pytest.raises(InvalidInput, match=r"not valid YAML .*aliases \(\*name\) are not allowed"):
        read_golden_sets([aliased])
    with pytest.raises(InvalidInput, match="nested deeper than"):
        read_golden_sets([deep])
    assert [q.question_id for q in read_golden_sets([plain])] == ["q1"]


def test_a_golden_set_that_cannot_be_read_is_refused_without_quoting_the_file(tmp_path: Path) -> None:
    """``eval.run`` names files on the worker's machine: an error says where and what, never the line."""
    broken = tmp_path / "broken.yaml"
    broken.write_text('a: [\n  "root:x:0:0:geheim"\n  b\n', encoding="utf-8")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00geheim")

    with pytest.raises(InvalidInput) as raised:
        read_golden_sets([broken])
    assert "line 3, column 3" in raised.value.message and "geheim" not in raised.value.message
    with pytest.raises(InvalidInput, match="not UTF-8 text") as unreadable:
        read_golden_sets([binary])
    assert "geheim" not in unreadable.value.message


@pytest.mark.parametrize("value", ["2024-13-01", "1" * 5000], ids=["month-13", "5000-digits"])
def test_a_value_the_yaml_constructor_cannot_read_is_refused_not_a_crash(value: str) -> None:
    with pytest.raises(yaml.YAMLError, match="a value cannot be read"):
        parse_yaml(f"x: {value}\n")
