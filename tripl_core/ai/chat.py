"""Chat completions through the provider: plain text answers, or strict JSON validated against a pydantic
model with one repair attempt when the model's first answer does not fit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tripl_core.ai import provider
from tripl_core.ai.provider import Endpoint, ProviderError

M = TypeVar("M", bound=BaseModel)
TEMPERATURE = 0.2


@dataclass(frozen=True)
class ChatModel:
    endpoint: Endpoint
    model: str
    max_output_tokens: int

    def complete(self, messages: list[dict[str, str]], *, json_mode: bool = False) -> str:
        payload: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": self.max_output_tokens,
                                   "temperature": TEMPERATURE}
        if json_mode:
            payload["response_format"] = {"type": "json_object"}
        answer = provider.post_json(self.endpoint, "/chat/completions", payload)
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError("the AI provider's answer has no choices[0].message.content") from exc
        if not isinstance(content, str):
            raise ProviderError("the AI provider's message content is not text")
        return content

    def structured(self, messages: list[dict[str, str]], schema: type[M]) -> M:
        """An answer that validates as `schema`; a second request asks the model to repair the first."""
        first = self.complete(messages, json_mode=True)
        try:
            return parse(first, schema)
        except ValueError as problem:
            repair = [*messages, {"role": "assistant", "content": first[:4000]},
                      {"role": "user", "content": f"That reply is not valid: {problem}. Reply again with only the "
                                                  "JSON object, in exactly the requested shape."}]
            second = self.complete(repair, json_mode=True)
            try:
                return parse(second, schema)
            except ValueError as again:
                raise ProviderError(f"the AI model answered invalid JSON twice ({again})") from again


def parse(content: str, schema: type[M]) -> M:
    """The JSON object in `content` (a ```json fence around it is tolerated) as `schema`."""
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`")
        text = text[text.find("{"):] if "{" in text else text
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError("it is not JSON") from exc
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{'.'.join(str(p) for p in first['loc']) or 'the object'}: {first['msg']}") from exc
