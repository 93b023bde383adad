"""Plan names (any text: spaces, dots, leading digits, unicode, reserved words) turned into identifiers
of a target language, unique within a namespace, with the map kept so the generated file can print it.

Names are folded to ASCII (accents dropped; other characters spelled `u<hex>`): every language and
every tool reads them, and Go needs an ASCII upper-case first letter to export a name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_WORD = re.compile(r"[A-Za-z0-9]+")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())

TYPESCRIPT_RESERVED = _word_set("""
break case catch class const continue debugger default delete do else enum export extends false finally for
function if import in instanceof new null return super switch this throw true try typeof var void while with
as implements interface let package private protected public static yield any boolean number string symbol
unknown never object undefined type declare module namespace require constructor Object String Number Boolean
Symbol Array Record Promise Error Date Function
""")

PYTHON_RESERVED = _word_set("""
False None True and as assert async await break class continue def del elif else except finally for from global
if import in is lambda nonlocal not or pass raise return try while with yield match case type _ Any Literal
Mapping Callable TypedDict Required NotRequired overload object str int float bool dict list
""")

GO_RESERVED = _word_set("""
break case chan const continue default defer else fallthrough for func go goto if import interface map package
range return select struct switch type var any bool byte comparable complex64 complex128 error float32 float64
int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil append cap
close complex copy delete imag len make new panic print println real recover json fmt
""")


def words(name: str) -> list[str]:
    """`Sign Up.Clicked` → [Sign, Up, Clicked]; `Ärger` → [Arger]; `購入` → [u8cfc, u5165]."""
    folded = []
    for char in unicodedata.normalize("NFKD", name):
        if unicodedata.combining(char):
            continue
        folded.append(char if char.isascii() else f" u{ord(char):x} ")
    return _WORD.findall("".join(folded))


def pascal(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in words(name))


def camel(name: str) -> str:
    text = pascal(name)
    return text[:1].lower() + text[1:]


def snake(name: str) -> str:
    return "_".join(w.lower() for w in words(name))


@dataclass
class Namespace:
    """Identifiers handed out in one scope. `claim` is deterministic for a given order of calls; the
    map records (kind, plan name) → identifier for the generated file's header."""

    reserved: frozenset[str]
    fallback: str = "X"
    taken: set[str] = field(default_factory=set)
    mapped: list[tuple[str, str, str]] = field(default_factory=list)

    def claim(self, wanted: str, *, kind: str = "", original: str = "") -> str:
        base = wanted or self.fallback
        if base[0].isdigit():
            base = self.fallback + base
        if base in self.reserved:
            base += "_"
        candidate, n = base, 2
        while candidate in self.taken:
            candidate = f"{base}{n}" if not base[-1].isdigit() else f"{base}_{n}"
            n += 1
        self.taken.add(candidate)
        if kind:
            self.mapped.append((kind, original, candidate))
        return candidate

    def reserve(self, *names: str) -> None:
        self.taken.update(names)
