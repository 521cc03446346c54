"""IR → files, through one Jinja environment; same input, same bytes."""

from __future__ import annotations

import functools
import json
import textwrap
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from dosirak._version import __version__

from . import _ir
from ._layout import keyword_argument

__all__ = ["python_source", "render_client", "render_handlers", "render_server"]

_WIDTH = 88


def python_source(value: Any) -> str:
    """Python source for a literal, quoted as ruff format writes it."""
    if isinstance(value, str):
        double = json.dumps(value, ensure_ascii=False)
        if value.count('"') > value.count("'"):
            # Fewer escapes in single quotes: ruff format would switch to them.
            return "'" + double[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"
        return double
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(python_source(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(python_source(v) for v in value) + "]"
    raise TypeError(f"no literal for {value!r}")


def _pystr_block(value: str, indent: int) -> str:
    """A string literal that keeps lines short: implicit concatenation when too long."""
    literal = python_source(value)
    if indent + len(literal) <= _WIDTH:
        return literal
    chunks = textwrap.wrap(value, _WIDTH - indent - 8, drop_whitespace=False) or [""]
    pad = " " * (indent + 4)
    body = "\n".join(pad + python_source(chunk) for chunk in chunks)
    return "(\n" + body + "\n" + " " * indent + ")"


def _docstring(value: str, indent: int) -> str:
    """A docstring body, wrapped to the line length, with its quotes made safe."""
    text = value.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()
    pad = " " * indent
    paragraphs = [
        textwrap.fill(p.strip(), _WIDTH - indent, break_long_words=False, break_on_hyphens=False)
        for p in text.split("\n\n")
        if p.strip()
    ]
    lines = "\n\n".join(paragraphs).split("\n")
    if text.endswith('"'):
        lines[-1] += " "
    if len(lines) == 1:
        return lines[0]
    return "\n".join(lines[:1] + [(pad + line) if line else "" for line in lines[1:]]) + "\n" + pad


def _signature(
    name: str, params: list[str], returns: str, indent: int, keyword: str = "async def"
) -> str:
    """A ``def`` line laid out as ruff format lays it out (three widths)."""
    pad = " " * indent
    flat = f"{pad}{keyword} {name}({', '.join(params)}) -> {returns}:"
    if len(flat) <= 100:
        return flat
    # Like Black, a lone parameter split onto its own line gets a trailing comma.
    inner = f"{pad}    {', '.join(params)}{',' if len(params) == 1 else ''}"
    if len(inner) <= 100:
        return f"{pad}{keyword} {name}(\n{inner}\n{pad}) -> {returns}:"
    lines = "".join(f"{pad}    {p},\n" for p in params)
    return f"{pad}{keyword} {name}(\n{lines}{pad}) -> {returns}:"


def _call(head: str, args: list[str], indent: int) -> str:
    """``head(args)`` laid out as ruff format lays out a call (three widths)."""
    pad = " " * indent
    flat = f"{pad}{head}({', '.join(args)})"
    if len(flat) <= 100:
        return flat
    target, equals, value = head.rpartition(" = ")
    if equals and len(f"{pad}{head}(") > 100:
        # The call's head alone is too long: ruff wraps the right-hand side in parentheses.
        return f"{pad}{target} = (\n{_call(value, args, indent + 4)}\n{pad})"
    inner = f"{pad}    {', '.join(args)}"
    if len(inner) <= 100:
        return f"{pad}{head}(\n{inner}\n{pad})"
    lines = "".join(f"{pad}    {a},\n" for a in args)
    return f"{pad}{head}(\n{lines}{pad})"


def _field_line(name: str, annotation: str, rest: str) -> str:
    return f"    {name}: {annotation}" + (f" = {rest}" if rest else "")


def _annotation(name: str, annotation: str, rest: str) -> str:
    """A field's annotation; quoted when its line cannot fit (ruff would split it)."""
    if len(_field_line(name, annotation, rest)) <= 100:
        return annotation
    return python_source(annotation)


def _overlong(name: str, annotation: str, rest: str) -> str:
    """The comment an over-long field line needs: a type no line can hold is still a type."""
    if len(_field_line(name, annotation, rest)) <= 100:
        return ""
    return "  # noqa: E501, UP037"


def _assign_tuple(name: str, items: tuple[str, ...]) -> str:
    """``NAME = ("a", "b")`` on one line when it fits, else one item a line."""
    flat = f"{name} = {python_source(tuple(items))}"
    if len(flat) <= 100:
        return flat
    lines = "".join(f"    {python_source(item)},\n" for item in items)
    return f"{name} = (\n{lines})"


def _import_block(stdlib: list[str], third_party: list[str]) -> str:
    """Two import sections as isort orders them: the standard library's, a blank line,
    then the third-party ``import`` lines (the ``from`` lines the template adds follow)."""

    text = "".join(f"{line}\n" for line in _ir.isort_order(stdlib))
    if text:
        text += "\n"
    return text + "".join(f"{line}\n" for line in _ir.isort_order(third_party))


def _adapter_line(name: str, annotation: str) -> str:
    """``NAME: TypeAdapter[Any] = TypeAdapter(annotation)``, laid out as ruff does."""
    head = f"{name}: _pydantic.TypeAdapter[_t.Any] = _pydantic.TypeAdapter"
    return _call(head, [annotation], 0)


def _parameter_line(key: str, head: str, args: list[str], options: str, indent: int) -> str:
    """``"key": found.query(...)``, one dict item, laid out as ruff does."""
    pad = " " * indent
    flat = f"{pad}{key}: {head}({', '.join(args)}{options}),"
    if len(flat) <= 100:
        return flat.lstrip()
    every = args + [o.strip() for o in options.split(", ") if o.strip()]
    inner = f"{pad}    {', '.join(every)}"
    if len(inner) <= 100:
        return f"{key}: {head}(\n{inner}\n{pad}),"
    lines = "".join(f"{pad}    {a},\n" for a in every)
    return f"{key}: {head}(\n{lines}{pad}),"


def _noqa_long(line: str) -> str:
    """The line, marked for the linter when no layout can make it fit (a long dict item)."""
    return line if len(line) <= 100 else f"{line}  # noqa: E501"


@functools.cache  # compiled templates are kept; every render reuses them
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dosirak.templates", "."),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = python_source
    env.filters["pystr_block"] = _pystr_block
    env.filters["docstring"] = _docstring
    env.filters["rstrip"] = str.rstrip
    env.globals["generator_version"] = __version__
    env.globals["signature"] = _signature
    env.globals["assign_tuple"] = _assign_tuple
    env.globals["call"] = _call
    env.globals["annotation"] = _annotation
    env.globals["overlong"] = _overlong
    env.globals["keyword_argument"] = keyword_argument
    env.globals["import_block"] = _import_block
    env.globals["noqa_long"] = _noqa_long
    env.globals["adapter_line"] = _adapter_line
    env.globals["parameter_line"] = _parameter_line
    return env


def render_client(service: _ir.Service) -> dict[str, str]:
    """The files of the generated client project, by path below its folder."""
    env = environment()
    context = {"service": service}
    package = service.client_package
    return {
        "pyproject.toml": env.get_template("client/pyproject.toml.jinja").render(context),
        f"{package}/__init__.py": env.get_template("client/__init__.py.jinja").render(context),
        f"{package}/client.py": env.get_template("client/client.py.jinja").render(context),
        f"{package}/models.py": env.get_template("models.py.jinja").render(context),
        f"{package}/py.typed": "",
    }


def render_server(service: _ir.Service) -> dict[str, str]:
    """The files of the generated ``server`` package, by name."""
    env = environment()
    context = {"service": service}
    return {
        name: env.get_template(f"{name}.jinja").render(context)
        for name in ("__init__.py", "models.py", "validators.py", "routes.py")
    }


def render_handlers(
    service: _ir.Service, names: set[str] | None = None, *, new: bool = False
) -> str:
    """``handlers.py`` with a stub per operation (those in ``names`` when given); with
    ``new``, the ``handlers_new.py`` that lists operations added since."""
    operations = [op for op in service.operations if names is None or op.name in names]
    code = " ".join(" ".join(op.handler_parameters) + " " + op.handler_returns for op in operations)
    imports = _import_block(
        _ir.imports_used(code, _ir.STDLIB_IMPORTS), _ir.imports_used(code, _ir.THIRD_PARTY_IMPORTS)
    )
    return (
        environment()
        .get_template("handlers.py.jinja")
        .render(
            service=service,
            operations=operations,
            new=new,
            imports=imports,
            uses_models="_models." in code,
        )
    )
