"""components/schemas → pydantic models: generated, imported, and held to the schema.

The documents are inline; each schema is reached from an operation (only schemas JSON bodies
use become models). The generated package is written to a temporary directory, imported with
`load_generated`, and checked with ruff and mypy --strict once per document.
"""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest
from dosirak.codegen import GenerationError, generate_files, write_files
from dosirak.runtime import load_generated

S = "#/components/schemas/"
RUFF_RULES = ["--isolated", "--line-length", "100", "--select", "E,F,W,I,B,UP,SIM,RUF"]


def ref(name: str) -> dict[str, str]:
    return {"$ref": S + name}


def document(schemas: dict[str, Any], roots: list[str], version: str = "3.1.0") -> dict[str, Any]:
    """A document with one POST operation per root schema, taking and returning it."""
    paths: dict[str, Any] = {}
    for root in roots:
        media = {"application/json": {"schema": ref(root)}}
        paths[f"/{root.lower()}"] = {
            "post": {
                "operationId": f"echo_{root.lower()}",
                "requestBody": {"required": True, "content": media},
                "responses": {"200": {"description": "The same.", "content": media}},
            }
        }
    return {
        "openapi": version,
        "info": {"title": "models", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


SCHEMAS_31: dict[str, Any] = {
    "Pet": {
        "type": "object",
        "description": 'A pet, with "quotes" and a \\ backslash.',
        "required": ["id", "name", "owner"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "name": {"type": "string", "minLength": 1, "maxLength": 20, "description": "The name."},
            "tag": {"type": "string"},
            "status": {"type": "string", "enum": ["available", "sold"], "default": "available"},
            "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 500, "multipleOf": 0.5},
            "born": {"type": "string", "format": "date"},
            "created": {"type": "string", "format": "date-time"},
            "uid": {"type": "string", "format": "uuid"},
            "nickname": {"type": ["string", "null"], "maxLength": 5},
            "owner": ref("Owner"),
            "toys": {"type": "array", "items": ref("Toy"), "maxItems": 2},
            "scores": {"type": "object", "additionalProperties": {"type": "integer"}},
            "code": {"type": "string", "pattern": "^[a-z]+$"},
            "color": ref("Color"),
            "shape": {"anyOf": [ref("Circle"), ref("Square"), {"type": "null"}]},
            "bag": ref("Bag"),
        },
    },
    "Owner": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "address": {  # an inline object: its own model, OwnerAddress
                "type": "object",
                "required": ["city"],
                "properties": {
                    "city": {"type": "string"},
                    "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                },
            },
        },
    },
    "Toy": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "squeaks": {"type": "boolean", "default": False},
        },
    },
    "Circle": {
        "type": "object",
        "required": ["radius"],
        "properties": {"radius": {"type": "number", "minimum": 0}},
    },
    "Square": {"type": "object", "required": ["side"], "properties": {"side": {"type": "number"}}},
    "Color": {"type": "string", "enum": ["red", "green", 'say "hi"', "it's"]},
    "Bag": {"type": "array", "items": ref("Color")},  # an alias using a later alias
    "Tree": {
        "type": "object",
        "required": ["value"],
        "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": ref("Tree")},
            "parent": {"anyOf": [ref("Tree"), {"type": "null"}]},
        },
    },
    "Odd": {
        "type": "object",
        "additionalProperties": True,
        "properties": {
            "class": {"type": "string"},
            "first-name": {"type": "string"},
            "2fa": {"type": "boolean"},
            "sepalLength": {"type": "number"},
            "model_config": {"type": "string"},
            "model_dump": {"type": "string"},
            "int": {"type": "integer"},
            "json": {"type": "string"},
            "_id": {"type": "string"},
            "a/b~c": {"type": "string"},
            "id": {"type": "string"},
            "ID": {"type": "string"},
        },
    },
    "Defaults": {
        "type": "object",
        "properties": {
            "day": {"type": "string", "format": "date", "default": "2020-01-02"},
            "at": {"type": "string", "format": "date-time", "default": "2020-01-02T03:04:05Z"},
            "maybe_at": {
                "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}],
                "default": "2020-01-02T03:04:05+09:00",
            },
            "uid": {
                "type": "string",
                "format": "uuid",
                "default": "12345678-1234-5678-1234-567812345678",
            },
            "numbers": {"type": "array", "items": {"type": "integer"}, "default": [1, 2]},
            "mapping": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "default": {"a": 1},
            },
            "nothing": {"type": ["string", "null"], "default": None},
            "color": {"$ref": S + "Color", "default": "red"},
            "count": {"type": "integer", "default": 3},
            "ratio": {"type": "number", "default": 0.5},
        },
    },
    "Mixed": {
        "type": "object",
        "required": ["must"],
        "properties": {
            "id": {"type": ["string", "integer"], "minimum": 10},
            "pair": {
                "type": "array",
                "prefixItems": [{"type": "string"}, {"type": "integer"}],
                "items": False,
            },
            "version": {"const": "v1"},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "anything": {},
            "empty": {"type": "object"},
            "nothing": {"type": "object", "additionalProperties": False},
            "bounded": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "maxProperties": 2,
            },
            "grid": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
            "low": {"type": "integer", "exclusiveMaximum": 10},
            "flag": {"type": ["boolean", "null"]},
            "maybe": ref("MaybeInt"),
            "scores": ref("Scores"),
            "moment": {"type": "string", "format": "time"},
        },
    },
    "MaybeInt": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    "Scores": {"type": "object", "additionalProperties": {"type": "number"}},
}
ROOTS_31 = ["Pet", "Tree", "Odd", "Defaults", "Mixed"]

SCHEMAS_30: dict[str, Any] = {
    "Legacy": {
        "type": "object",
        "required": ["level"],
        "properties": {
            "note": {"type": "string", "nullable": True, "maxLength": 3},
            "level": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
            "cap": {"type": "number", "maximum": 1, "exclusiveMaximum": False},
            "kind": {"type": "string", "enum": ["a", "b", None], "nullable": True},
            "partner": {"allOf": [ref("Partner")], "nullable": True},
            "friend": ref("Partner"),
            "stamp": {"type": "string", "format": "date-time", "nullable": True},
        },
    },
    "Partner": {
        "type": "object",
        "nullable": True,
        "required": ["name"],
        "properties": {"name": {"type": "string"}},
    },
}


@dataclass
class Generated:
    root: Path
    files: dict[str, bytes]
    models: ModuleType

    def model(self, name: str) -> Any:
        """The generated class (typed Any: its fields are known only at run time)."""
        cls = getattr(self.models, name)
        assert isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)
        return cls

    def adapter(self, alias: str) -> pydantic.TypeAdapter[Any]:
        return pydantic.TypeAdapter(getattr(self.models, alias))


def _generate(doc: dict[str, Any], root: Path) -> Generated:
    files = generate_files(doc)
    write_files(files, root)
    server = load_generated(root)
    models = sys.modules[f"{server.package.__name__}.models"]
    return Generated(root, files, models)


@pytest.fixture(scope="module")
def gen31(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return _generate(document(SCHEMAS_31, ROOTS_31), tmp_path_factory.mktemp("models31"))


@pytest.fixture(scope="module")
def gen30(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    doc = document(SCHEMAS_30, ["Legacy"], version="3.0.3")
    return _generate(doc, tmp_path_factory.mktemp("models30"))


def rejects(validate: Callable[[Any], Any], value: Any) -> list[tuple[Any, ...]]:
    """The locations pydantic names when ``validate`` rejects ``value``."""
    with pytest.raises(pydantic.ValidationError) as info:
        validate(value)
    return [tuple(e["loc"]) for e in info.value.errors()]


# ---------------------------------------------------------------- what is generated


def test_generation_is_deterministic(gen31: Generated) -> None:
    assert generate_files(document(SCHEMAS_31, ROOTS_31)) == gen31.files


def test_every_schema_becomes_a_model_or_an_alias(gen31: Generated) -> None:
    exported = set(gen31.models.__all__)
    models = {"Pet", "Owner", "OwnerAddress", "Toy", "Circle", "Square", "Tree", "Odd"}
    models |= {"Defaults", "Mixed"}
    # Problem and ProblemItem: the problem responses the server publishes (see _publish.py).
    assert exported == models | {"Color", "Bag", "MaybeInt", "Scores", "Problem", "ProblemItem"}
    for name in models:
        gen31.model(name)


def test_alias_using_a_later_alias_inlines_it(gen31: Generated) -> None:
    source = gen31.files["server/models.py"].decode()
    # Bag is written before Color, which it uses: Color's value is written in its place.
    assert 'Bag: _t.TypeAlias = list[_t.Literal["red", "green", \'say "hi"\', "it\'s"]]' in source
    assert gen31.adapter("Bag").validate_python(["red", "it's"]) == ["red", "it's"]
    assert rejects(gen31.adapter("Bag").validate_python, ["blue"]) == [(0,)]


# ---------------------------------------------------------------- models hold to the schema


def _pet(**changes: Any) -> dict[str, Any]:
    pet: dict[str, Any] = {"id": 1, "name": "Rex", "owner": {"name": "Kim"}}
    pet.update(changes)
    return pet


def test_required_optional_and_default_fields(gen31: Generated) -> None:
    pet_cls = gen31.model("Pet")
    pet = pet_cls.model_validate(_pet())
    assert pet.model_dump(exclude_unset=True, by_alias=True) == _pet()
    assert pet.status == "available"  # default
    assert pet.tag is None  # optional, no default
    assert pet_cls.model_fields["name"].description == "The name."
    assert pet_cls.__doc__ == 'A pet, with "quotes" and a \\ backslash.'
    assert sorted(rejects(pet_cls.model_validate, {"tag": "x"})) == [("id",), ("name",), ("owner",)]


def test_nested_refs_arrays_and_inline_objects(gen31: Generated) -> None:
    pet_cls = gen31.model("Pet")
    value = _pet(
        owner={"name": "Kim", "address": {"city": "Seoul", "zip": "04524"}},
        toys=[{"name": "ball"}, {"name": "bone", "squeaks": True}],
        scores={"agility": 3},
        shape={"side": 2},
    )
    pet = pet_cls.model_validate(value)
    owner = pet.owner
    assert type(owner).__name__ == "Owner"
    assert type(owner.address).__name__ == "OwnerAddress"
    assert [type(t).__name__ for t in pet.toys] == ["Toy", "Toy"]
    assert type(pet.shape).__name__ == "Square"
    assert rejects(
        pet_cls.model_validate, _pet(owner={"name": "Kim", "address": {"zip": "04524"}})
    ) == [("owner", "address", "city")]
    assert rejects(
        pet_cls.model_validate, _pet(owner={"name": "Kim", "address": {"city": "S", "zip": "x"}})
    ) == [("owner", "address", "zip")]
    assert rejects(pet_cls.model_validate, _pet(toys=[{"name": 3}])) == [("toys", 0, "name")]
    assert rejects(pet_cls.model_validate, _pet(scores={"a": "many"})) == [("scores", "a")]
    assert pet_cls.model_validate(_pet(shape={"radius": 1.5})).model_dump()["shape"] == {
        "radius": 1.5
    }
    assert rejects(pet_cls.model_validate, _pet(shape={"radius": -1}))  # fits neither member


def test_constraints(gen31: Generated) -> None:
    validate = gen31.model("Pet").model_validate
    assert rejects(validate, _pet(id=0)) == [("id",)]
    assert rejects(validate, _pet(name="")) == [("name",)]
    assert rejects(validate, _pet(name="x" * 21)) == [("name",)]
    validate(_pet(name="x" * 20, weight=0.5, code="abc"))
    assert rejects(validate, _pet(weight=0)) == [("weight",)]  # exclusiveMinimum
    assert rejects(validate, _pet(weight=500.5)) == [("weight",)]  # maximum
    assert rejects(validate, _pet(weight=1.25)) == [("weight",)]  # multipleOf
    assert rejects(validate, _pet(code="ABC")) == [("code",)]  # pattern
    assert rejects(validate, _pet(toys=[{"name": "a"}] * 3)) == [("toys",)]  # maxItems
    low = gen31.model("Mixed").model_validate
    low({"must": 1, "low": 9})
    assert rejects(low, {"must": 1, "low": 10}) == [("low",)]  # exclusiveMaximum


def test_enums_are_literals(gen31: Generated) -> None:
    validate = gen31.model("Pet").model_validate
    for color in ("red", 'say "hi"', "it's"):
        assert validate(_pet(color=color)).model_dump()["color"] == color
    assert rejects(validate, _pet(color="blue")) == [("color",)]
    assert rejects(validate, _pet(status="lost")) == [("status",)]


def test_nullable_type_lists_and_any_of_null(gen31: Generated) -> None:
    validate = gen31.model("Pet").model_validate
    assert validate(_pet(nickname=None)).model_dump()["nickname"] is None
    assert validate(_pet(nickname="Rexy")).model_dump()["nickname"] == "Rexy"
    assert rejects(validate, _pet(nickname="Rexxxy")) == [("nickname",)]  # maxLength still holds
    assert validate(_pet(shape=None)).model_dump()["shape"] is None
    assert gen31.adapter("MaybeInt").validate_python(None) is None
    assert gen31.adapter("MaybeInt").validate_python(4) == 4
    mixed = gen31.model("Mixed").model_validate
    assert mixed({"must": 1, "flag": None}).model_dump()["flag"] is None
    assert rejects(mixed, {"must": 1, "flag": "maybe"}) == [("flag",)]


def test_string_formats(gen31: Generated) -> None:
    validate = gen31.model("Pet").model_validate
    pet = validate(
        _pet(born="2020-02-29", created="2024-05-01T12:30:00Z", uid=str(uuid.UUID(int=7)))
    )
    assert pet.born == dt.date(2020, 2, 29)
    assert pet.created == dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
    assert pet.uid == uuid.UUID(int=7)
    assert rejects(validate, _pet(born="2020-02-30")) == [("born",)]
    assert rejects(validate, _pet(created="yesterday")) == [("created",)]
    assert rejects(validate, _pet(uid="not-a-uuid")) == [("uid",)]
    mixed = gen31.model("Mixed")
    assert mixed.model_validate({"must": 1, "moment": "10:20:30"}).moment == dt.time(10, 20, 30)


def test_defaults_of_every_kind(gen31: Generated) -> None:
    defaults = gen31.model("Defaults").model_validate({})
    assert defaults.model_dump() == {
        "day": dt.date(2020, 1, 2),
        "at": dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        "maybe_at": dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        "uid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "numbers": [1, 2],
        "mapping": {"a": 1},
        "nothing": None,
        "color": "red",
        "count": 3,
        "ratio": 0.5,
    }
    # A mutable default is not shared between instances.
    first = gen31.model("Defaults").model_validate({})
    first.numbers.append(3)
    assert gen31.model("Defaults").model_validate({}).numbers == [1, 2]


def test_maps_tuples_sets_and_any(gen31: Generated) -> None:
    mixed = gen31.model("Mixed").model_validate
    value = mixed(
        {
            "must": None,  # required, no schema: any value, but present
            "id": "ab",
            "pair": ["a", 1],
            "version": "v1",
            "tags": ["x", "y"],
            "anything": {"deep": [1]},
            "empty": {"k": [1, "v"]},
            "nothing": {},
            "bounded": {"a": "1", "b": "2"},
            "grid": [[1, 2.5], []],
            "scores": {"a": 1.5},
        }
    )
    assert value.model_dump()["pair"] == ("a", 1)
    assert value.model_dump()["tags"] == {"x", "y"}
    assert rejects(mixed, {}) == [("must",)]
    assert mixed({"must": 1, "id": 10}).model_dump()["id"] == 10
    assert mixed({"must": 1, "id": "5"}).id == "5"  # minimum is for the integer member only
    assert rejects(mixed, {"must": 1, "id": 9}) == [("id", "str"), ("id", "constrained-int")]
    assert rejects(mixed, {"must": 1, "pair": ["a", 1, 2]}) == [("pair",)]
    assert rejects(mixed, {"must": 1, "version": "v2"}) == [("version",)]
    assert rejects(mixed, {"must": 1, "nothing": {"a": 1}}) == [("nothing",)]
    assert rejects(mixed, {"must": 1, "bounded": {"a": "1", "b": "2", "c": "3"}}) == [("bounded",)]
    assert rejects(mixed, {"must": 1, "grid": [[1], ["x"]]}) == [("grid", 1, 0)]
    assert rejects(mixed, {"must": 1, "scores": {"a": "x"}}) == [("scores", "a")]


def test_additional_properties(gen31: Generated) -> None:
    toy = gen31.model("Toy")
    assert rejects(toy.model_validate, {"name": "ball", "colour": "red"}) == [("colour",)]
    odd = gen31.model("Odd").model_validate({"extra": 1})
    assert odd.model_extra == {"extra": 1}  # additionalProperties: true keeps them
    pet = gen31.model("Pet").model_validate(_pet(unknown=1))  # not mentioned: ignored
    assert "unknown" not in pet.model_dump()


def test_recursive_schema(gen31: Generated) -> None:
    tree_cls = gen31.model("Tree")
    value = {
        "value": 1,
        "children": [{"value": 2, "children": [{"value": 3}]}],
        "parent": {"value": 0},
    }
    tree = tree_cls.model_validate(value)
    assert tree.model_dump(exclude_unset=True) == value
    assert type(tree.children[0]).__name__ == "Tree"
    assert rejects(tree_cls.model_validate, {"value": 1, "children": [{"children": []}]}) == [
        ("children", 0, "value")
    ]


def test_property_names_that_are_not_identifiers(gen31: Generated) -> None:
    odd_cls = gen31.model("Odd")
    wire = {
        "class": "a",
        "first-name": "b",
        "2fa": True,
        "sepalLength": 1.5,
        "model_config": "c",
        "model_dump": "d",
        "int": 7,
        "json": "e",
        "_id": "f",
        "a/b~c": "g",
        "id": "h",
        "ID": "i",
    }
    odd = odd_cls.model_validate(wire)
    assert odd.model_dump(by_alias=True) == wire
    names = {field.alias or name: name for name, field in odd_cls.model_fields.items()}
    for prop, name in names.items():
        assert name.isidentifier() and not name.startswith("_"), (prop, name)
        assert not hasattr(pydantic.BaseModel, name), (prop, name)
    assert names["class"] == "class_"
    assert names["first-name"] == "first_name"
    assert names["sepalLength"] == "sepal_length"
    assert len(set(names.values())) == len(names)  # "id" and "ID" do not collide
    assert rejects(odd_cls.model_validate, {"2fa": "maybe"}) == [("2fa",)]  # loc by wire name


# ---------------------------------------------------------------- OpenAPI 3.0


def test_openapi_30_nullable_and_boolean_exclusive_bounds(gen30: Generated) -> None:
    legacy = gen30.model("Legacy").model_validate
    value = legacy({"level": 1, "note": None, "kind": None, "partner": None, "friend": None})
    assert value.model_dump()["note"] is None
    assert legacy({"level": 1, "note": "abc"}).model_dump()["note"] == "abc"
    assert rejects(legacy, {"level": 1, "note": "abcd"}) == [("note",)]
    assert rejects(legacy, {"level": 0}) == [("level",)]  # exclusiveMinimum: true
    legacy({"level": 1, "cap": 1})  # exclusiveMaximum: false keeps maximum inclusive
    assert rejects(legacy, {"level": 1, "cap": 1.5}) == [("cap",)]
    assert rejects(legacy, {"level": 1, "kind": "c"}) == [("kind",)]
    assert legacy({"level": 1, "partner": {"name": "p"}}).model_dump()["partner"] == {"name": "p"}
    assert legacy({"level": 1, "stamp": None}).model_dump()["stamp"] is None


# ---------------------------------------------------------------- the generated code is clean


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def mypy_results(
    gen31: Generated, gen30: Generated, mypy_strict: tuple[str, ...]
) -> dict[str, subprocess.CompletedProcess[str]]:
    """mypy --strict over each generated package, run once per document (it is slow)."""
    results = {}
    for label, generated in (("3.1", gen31), ("3.0", gen30)):
        results[label] = _run(*mypy_strict, str(generated.root / "server"), cwd=generated.root)
    return results


@pytest.mark.parametrize("label", ["3.1", "3.0"])
def test_generated_code_is_ruff_clean(gen31: Generated, gen30: Generated, label: str) -> None:
    server = (gen31 if label == "3.1" else gen30).root / "server"
    ruff = [sys.executable, "-m", "ruff"]
    result = _run(*ruff, "format", "--check", "--diff", *RUFF_RULES[:3], str(server), cwd=server)
    assert result.returncode == 0, result.stdout + result.stderr
    result = _run(*ruff, "check", *RUFF_RULES, str(server), cwd=server)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("label", ["3.1", "3.0"])
def test_generated_models_pass_mypy_strict(
    mypy_results: dict[str, subprocess.CompletedProcess[str]], label: str
) -> None:
    result = mypy_results[label]
    in_models = [line for line in result.stdout.splitlines() if "models.py" in line]
    assert not in_models, result.stdout + result.stderr


@pytest.mark.parametrize("label", ["3.1", "3.0"])
def test_generated_package_passes_mypy_strict(
    mypy_results: dict[str, subprocess.CompletedProcess[str]], label: str
) -> None:
    result = mypy_results[label]
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- what cannot be generated


def test_unsupported_constructs_are_all_reported_with_their_location() -> None:
    schemas: dict[str, Any] = {
        "Root": {
            "type": "object",
            "properties": {
                "negated": {"not": {"type": "string"}},
                "merged": {"allOf": [ref("A"), ref("B")]},
                "patterned": {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
                "floats": {"enum": [1.5, 2.5]},
                "unique": {"type": "array", "items": ref("A"), "uniqueItems": True},
                "lookahead": {"type": "string", "pattern": "^(?!x)"},
                "a/b": {"type": "string", "if": {"minLength": 1}},
                "model_default": {"allOf": [ref("A")], "default": {"a": 1}},
                "both": {"anyOf": [{"type": "string"}], "type": "string"},
                "loose": {"minimum": 3},
            },
            "additionalProperties": {"type": "integer"},
        },
        "A": {"type": "object", "properties": {"a": {"type": "integer"}}},
        "B": {"type": "object", "properties": {"b": {"type": "integer"}}},
        "Loop": {"type": "array", "items": ref("Loop")},  # fine: a TypeAliasType
        "UsesLoop": {"type": "object", "properties": {"loop": ref("Loop")}},
    }
    doc = document(schemas, ["Root", "UsesLoop"])
    with pytest.raises(GenerationError) as info:
        generate_files(doc)
    where = "#/components/schemas/Root"
    prop = f"{where}/properties"
    expected = {
        f"{prop}/negated",
        f"{prop}/patterned",
        f"{prop}/floats/enum",
        f"{prop}/unique/uniqueItems",
        f"{prop}/lookahead/pattern",
        f"{prop}/a~1b",
        f"{prop}/model_default/default",
        f"{prop}/both",
        f"{prop}/loose",
        f"{where}/additionalProperties",
    }
    locations = [p.location for p in info.value.problems]
    assert set(locations) == expected, "\n".join(str(p) for p in info.value.problems)
    assert len(locations) == len(expected)  # each once
    message = str(info.value)
    assert f"{len(expected)} problem(s)" in message
    for location in expected:
        assert location in message
    reasons = {p.location: p.reason for p in info.value.problems}
    assert "not" in reasons[f"{prop}/negated"]
    assert "patternProperties" in reasons[f"{prop}/patterned"]


def test_clashing_class_names_are_reported() -> None:
    schemas: dict[str, Any] = {
        "Root": {"type": "object", "properties": {"a": ref("pet-name"), "b": ref("PetName")}},
        "pet-name": {"type": "string"},
        "PetName": {"type": "integer"},
    }
    with pytest.raises(GenerationError) as info:
        generate_files(document(schemas, ["Root"]))
    assert [p.location for p in info.value.problems] == ["#/components/schemas/PetName"]


def test_long_annotations_are_wrapped_as_ruff_format_wraps_them(tmp_path: Path) -> None:
    values = [f"value number {i} of a long enumeration" for i in range(6)]
    schemas = {"Root": {"type": "object", "properties": {"choice": {"enum": values}}}}
    write_files(generate_files(document(schemas, ["Root"])), tmp_path)
    server = tmp_path / "server"
    result = _run(
        sys.executable,
        "-m",
        "ruff",
        "format",
        "--check",
        "--diff",
        *RUFF_RULES[:3],
        str(server),
        cwd=server,
    )
    assert result.returncode == 0, result.stdout


def test_recursion_through_arrays_only_is_a_type_alias_type(tmp_path: Path) -> None:
    schemas = {
        "Nested": {"anyOf": [{"type": "integer"}, {"type": "array", "items": ref("Nested")}]},
        "Holder": {"type": "object", "properties": {"value": ref("Nested")}, "required": ["value"]},
    }
    write_files(generate_files(document(schemas, ["Holder"])), tmp_path)
    package = load_generated(tmp_path).package
    module = importlib.import_module(f"{package.__name__}.models")
    assert module.Holder.model_validate({"value": [1, [2, [3]]]}).value == [1, [2, [3]]]
    with pytest.raises(ValueError):
        module.Holder.model_validate({"value": [1, ["x"]]})
