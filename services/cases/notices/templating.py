"""Rendering notice templates: Jinja in a sandbox, placeholders from a fixed set, unknown
names refused when the template is saved (StrictUndefined refuses them again at send time),
the HTML body autoescaped so a case title or message cannot inject markup."""

from __future__ import annotations

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from services.cases.notices.exceptions import InvalidNoticeTemplate

# The documented placeholders (docs/notices-and-exports.md), each with a sample value used to
# try a template when it is saved.
PLACEHOLDERS: dict[str, str] = {
    "alias": "AnonymousUser-7K2P",
    "case_id": "00000000-0000-4000-8000-000000000000",
    "case_title": "Sample case",
    "training_url": "https://training.example/course",
    "sender": "irm@contoso.example",
    "message": "A message from the reviewer.",
}

_html = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
_text = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def _env(field: str) -> SandboxedEnvironment:
    return _html if field == "body_html" else _text


def check(field: str, source: str) -> None:
    """Refuse a template that does not parse, names an unknown placeholder or fails to render
    with sample values (e.g. an attribute the sandbox forbids)."""
    env = _env(field)
    try:
        ast = env.parse(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise InvalidNoticeTemplate(field, f"malformed template{f' (line {line})' if line else ''}"
                                    f": {exc.message or exc}") from None
    unknown = sorted(meta.find_undeclared_variables(ast) - PLACEHOLDERS.keys())
    if unknown:
        raise InvalidNoticeTemplate(field, "unknown placeholder " + ", ".join(
            "{{" + name + "}}" for name in unknown) + "; known: " + ", ".join(
            "{{" + name + "}}" for name in PLACEHOLDERS))
    try:
        env.from_string(source).render(PLACEHOLDERS)
    except TemplateError as exc:
        raise InvalidNoticeTemplate(field, f"cannot be rendered: {exc.message or exc}") from None


def render(field: str, source: str, values: dict[str, str]) -> str:
    try:
        out = _env(field).from_string(source).render(values)
    except TemplateError as exc:
        raise InvalidNoticeTemplate(field, f"cannot be rendered: {exc.message or exc}") from None
    if field == "subject":  # a header: one line, whatever a case title holds
        out = " ".join(out.split())
    return out
