"""Message and item templates (SEMANTICS §7): `${variable}` placeholders, checked when a rule is saved and
rendered per message format. Values are escaped for the format; the template's own text is the user's."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
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
    return Template(SUMMARIES.get(kind, SUMMARIES["signal"])).safe_substitute(
        {key: value or "n/a" for key, value in values.items()})


def render(message_template: str | None, items_template: str | None, message_format: MessageFormat,
           message_values: Mapping[str, str], items: Sequence[Mapping[str, str]]) -> str:
    item_text = Template(items_template or DEFAULT_ITEMS[message_format])
    lines = [item_text.safe_substitute(_escaped(item, message_format)) for item in items]
    values = {**_escaped(message_values, message_format), "items_text": "\n".join(lines)}
    return Template(message_template or DEFAULT_MESSAGES[message_format]).safe_substitute(values)


def render_subject(template: str | None, message_values: Mapping[str, str]) -> str:
    subject = Template(template or "[tripl] ${project_name}: ${matched_count} alert(s) from ${rule_name}")
    return " ".join(subject.safe_substitute(message_values).split())[:250]


def _escaped(values: Mapping[str, str], message_format: MessageFormat) -> dict[str, str]:
    return {key: escape(str(value), message_format) for key, value in values.items()}
