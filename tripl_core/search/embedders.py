"""Embedding models. The built-in one is WordLlama's `l2_supercat` 256-dimension model, whose weights and
tokenizer ship inside the `wordllama` wheel: it is loaded from those files only (WordLlama.load would try
Hugging Face for a tokenizer path it misspells), so nothing is ever downloaded, and it runs on the CPU."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

BUILTIN_MODEL = "wordllama-l2-supercat-256"


class Embedder(Protocol):
    @property
    def model(self) -> str:
        """Names the vectors: documents embedded by another model are embedded again."""

    def embed(self, texts: list[str]) -> Vectors:
        """One unit-length row per text."""


def normalise(vectors: npt.NDArray[Any]) -> Vectors:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Vectors = matrix / norms
    return result


_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}


class BuiltinEmbedder:
    """Loaded on first use (about a second, 32 MB) and shared by every thread and app of the process: the
    weights never change."""

    model = BUILTIN_MODEL

    def _load(self) -> Any:
        with _LOCK:
            if BUILTIN_MODEL not in _LOADED:
                import wordllama
                from safetensors import safe_open
                from tokenizers import Tokenizer
                from wordllama.inference import WordLlamaInference

                root = Path(wordllama.__file__).parent
                tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
                with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np",
                               device="cpu") as weights:
                    table = weights.get_tensor("embedding.weight")
                _LOADED[BUILTIN_MODEL] = WordLlamaInference(table, tokenizer, binary=False)
            return _LOADED[BUILTIN_MODEL]

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        return normalise(self._load().embed(texts))


def to_bytes(vector: Vectors) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(raw: bytes) -> Vectors:
    return np.frombuffer(raw, dtype=np.float32)
