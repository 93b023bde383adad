"""Message and item templates (SEMANTICS §7): `${variable}` placeholders, checked when a rule is saved and
rendered per message format. Values are escaped for the format; the template's own text is the user's."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from string import Template

from tripl_core.alerting.models import MessageFormat
from tripl_core.errors import InvalidInput

MESSAGE_VARIABLES = frozenset({"project_name", "rule_name", "scan_name", "matched_count", "items_text"})
ITEM_VARIABLES = frozenset({"scope_name", "direction", "actual_count", "expected_count", "percent_delta_label",
                            "bucket", "drift_field", "sample_value", "summary"})

DEFAULT_MESSAGES = {
    MessageFormat.plain: "tripl · ${project_name}: ${matched_count} alert(s) from rule ${rule_name} "
                         "(scan ${scan_name})\n${items_text}",
    MessageFormat.slack_mrkdwn: "*tripl · ${project_name}*: ${matched_count} alert(s) from rule *${rule_name}* "
                                "(scan ${scan_name})\n${items_text}",
    MessageFormat.telegram_html: "<b>tripl · ${project_name}</b>: ${matched_count} alert(s) from rule "
                                 "<b>${rule_name}</b> (scan ${scan_name})\n${items_text}",
    MessageFormat.telegram_markdownv2: "*tripl · ${project_name}*: ${matched_count} alert\\(s\\) from rule "
                                       "*${rule_name}* \\(scan ${scan_name}\\)\n${items_text}",
}
DEFAULT_ITEMS = {
    MessageFormat.plain: "• ${scope_name}: ${summary} at ${bucket}",
    MessageFormat.slack_mrkdwn: "• *${scope_name}*: ${summary} at ${bucket}",
    MessageFormat.telegram_html: "• <b>${scope_name}</b>: ${summary} at ${bucket}",
    MessageFormat.telegram_markdownv2: "• *${scope_name}*: ${summary} at ${bucket}",
}
# `${summary}` says what each kind of item is; a drift has no counts to compare.
SUMMARIES = {
    "signal": "${direction} ${actual_count} vs ${expected_count} expected (${percent_delta_label})",
    "freshness": "the source fell to ${actual_count} rows vs ${expected_count} expected (${percent_delta_label}): "
                 "its data stopped arriving or is late",
    "schema_drift": "schema drift: field ${drift_field} (sample value ${sample_value})",
    "distribution_drift": "distribution drift of ${drift_field} (most changed value ${sample_value})",
    "release_regression": "release regression: ${actual_count} vs ${expected_count} expected "
                          "(${percent_delta_label})",
}
_MARKDOWN_V2_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")


def validate(template: str | None, allowed: frozenset[str], what: str) -> None:
    """Refuses a template naming an unknown variable or holding a malformed placeholder."""
    if template is None:
        return
    parsed = Template(template)
    if not parsed.is_valid():
        raise InvalidInput(f"{what}: malformed placeholder; write variables as ${{name}} and a literal $ as $$")
    unknown = sorted(set(parsed.get_identifiers()) - allowed)
    if unknown:
        raise InvalidInput(f"{what}: unknown variable(s) {', '.join('${' + u + '}' for u in unknown)}; "
                           f"known: {', '.join(sorted(allowed))}")


def escape(value: str, message_format: MessageFormat) -> str:
    if message_format is MessageFormat.telegram_html:
        return html.escape(value, quote=False)
    if message_format is MessageFormat.telegram_markdownv2:
        return _MARKDOWN_V2_SPECIAL.sub(r"\\\1", value)
    if message_format is MessageFormat.slack_mrkdwn:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def summary(kind: str, values: Mapping[str, str]) -> str:
    """The plain text of one item by kind (`kind` "freshness" for a signal about a whole source)."""
    return compiled(SUMMARIES.get(kind, SUMMARIES["signal"])).substitute(
        {key: value or "n/a" for key, value in values.items()})


def render(message_template: str | None, items_template: str | None, message_format: MessageFormat,
           message_values: Mapping[str, str], items: Sequence[Mapping[str, str]]) -> str:
    item_text = compiled(items_template or DEFAULT_ITEMS[message_format])
    lines = [item_text.substitute(_escaped(item, message_format)) for item in items]
    values = {**_escaped(message_values, message_format), "items_text": "\n".join(lines)}
    return compiled(message_template or DEFAULT_MESSAGES[message_format]).substitute(values)


def render_subject(template: str | None, message_values: Mapping[str, str]) -> str:
    subject = compiled(template or "[tripl] ${project_name}: ${matched_count} alert(s) from ${rule_name}")
    return " ".join(subject.substitute(message_values).split())[:250]


def _escaped(values: Mapping[str, str], message_format: MessageFormat) -> Mapping[str, str]:
    if message_format is MessageFormat.plain:  # nothing to escape: the values as they are
        return values
    return {key: escape(str(value), message_format) for key, value in values.items()}


class Compiled:
    """A template parsed once into (literal, variable, text when the variable is missing) pieces:
    `substitute` answers what `Template.safe_substitute` does (unknown placeholders and a lone `$` left as
    written, `$$` read as `$`) without matching the pattern again. A fan-out renders thousands of items
    with a handful of templates."""

    __slots__ = ("pieces", "tail")

    def __init__(self, template: str) -> None:
        pieces: list[tuple[str, str, str]] = []
        literal, position = [], 0
        for match in Template.pattern.finditer(template):
            literal.append(template[position:match.start()])
            position = match.end()
            name = match.group("named") or match.group("braced")
            if name is not None:
                pieces.append(("".join(literal), name, match.group()))
                literal = []
            elif match.group("escaped") is not None:
                literal.append(Template.delimiter)
            else:  # an invalid placeholder stays as written
                literal.append(match.group())
        literal.append(template[position:])
        self.pieces = tuple(pieces)
        self.tail = "".join(literal)

    def substitute(self, values: Mapping[str, object]) -> str:
        out: list[str] = []
        for literal, name, missing in self.pieces:
            out.append(literal)
            out.append(str(values[name]) if name in values else missing)
        out.append(self.tail)
        return "".join(out)


@lru_cache(maxsize=1024)
def compiled(template: str) -> Compiled:
    return Compiled(template)
