"""The lexical fence of the SQL guard: where a base query's code, comments, strings and quoted names are.

The guard checks sqlglot's parse, but the warehouse runs the text the user wrote. Both must therefore
agree on where every comment, string literal and quoted identifier starts and ends, or a comment to one
could be code to the other. This module reads the text with a deliberately small lexer whose rules every
engine shares (`--` and `/* */` comments without nesting, quotes closed the engine's way), refuses what
engines read differently (nested comments, PostgreSQL dollar quotes and `U&` escapes, `#` comments
outside BigQuery), and then requires sqlglot's tokens to cover exactly the same spans. Only then do the
character rules apply: plain ASCII in code and comments, quoted identifiers that Unicode normalisation
leaves unchanged.
"""

from __future__ import annotations

import enum
import itertools
import unicodedata
from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from tripl_core.warehouse.errors import UnsafeQuery

GuardDialect = Literal["clickhouse", "postgres", "bigquery"]

_WHITESPACE = frozenset(" \t\n\r\f")
# Letters that may prefix a quote and belong to the literal (E'…', B'…', r'…', rb'…').
_PREFIXES: dict[GuardDialect, frozenset[str]] = {
    "postgres": frozenset({"e", "b", "x", "n"}),
    "clickhouse": frozenset({"x", "b"}),
    "bigquery": frozenset({"r", "b", "rb", "br"}),
}


class Kind(enum.Enum):
    SPACE = "space"
    COMMENT = "comment"
    CODE = "code"
    STRING = "string"
    IDENTIFIER = "identifier"


@dataclass(frozen=True)
class Segment:
    kind: Kind
    start: int
    end: int  # exclusive

    def text(self, sql: str) -> str:
        return sql[self.start:self.end]


def check_characters(sql: str, dialect: GuardDialect) -> list[Segment]:
    """Raise UnsafeQuery unless every engine reads `sql`'s comments and quotes alike and it is plain
    ASCII outside string literals and quoted identifiers; the segments found."""
    segments = _segments(sql, dialect)
    _check_characters(sql, segments)
    return segments


def tokens_of(sql: str, dialect: GuardDialect) -> list[Token]:
    """sqlglot's tokens of `sql`; clauses sqlglot cannot parse (INTO OUTFILE) are refused here by name."""
    tokens = _tokenize(sql, dialect)
    for previous, token in itertools.pairwise(tokens):
        word = token.text.upper()
        if previous.token_type == TokenType.INTO and word in {"OUTFILE", "DUMPFILE"}:
            raise UnsafeQuery(f"base_query writes its result to a file (INTO {word}); only SELECT is allowed")
    if dialect == "postgres":
        _check_postgres_tokens(sql, tokens)
    return tokens


def check_agreement(sql: str, dialect: GuardDialect, segments: list[Segment], tokens: list[Token]) -> None:
    """Raise UnsafeQuery unless sqlglot's tokens cover exactly the code and literals of `segments`."""
    _check_agreement(sql, segments, tokens)


def _tokenize(sql: str, dialect: GuardDialect) -> list[Token]:
    try:
        return list(sqlglot.tokenize(sql, read=dialect))
    except TokenError as error:
        raise UnsafeQuery(f"base_query could not be read as {dialect} SQL: {error}") from error


def _segments(sql: str, dialect: GuardDialect) -> list[Segment]:
    segments: list[Segment] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in _WHITESPACE:
            j = i
            while j < n and sql[j] in _WHITESPACE:
                j += 1
            segments.append(Segment(Kind.SPACE, i, j))
        elif sql.startswith("--", i) or (char == "#" and dialect == "bigquery"):
            newline = sql.find("\n", i)
            j = n if newline < 0 else newline
            segments.append(Segment(Kind.COMMENT, i, j))
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            if close < 0:
                raise UnsafeQuery("base_query has a /* comment that is never closed")
            if "/*" in sql[i + 2:close]:
                raise UnsafeQuery("base_query nests /* comments, which engines read differently; remove them")
            j = close + 2
            segments.append(Segment(Kind.COMMENT, i, j))
        elif char == "#" and dialect == "clickhouse":
            raise UnsafeQuery("base_query uses a # comment; write -- comments instead")
        elif char == "$" and dialect == "postgres":
            raise UnsafeQuery("base_query uses $ (dollar quoting or parameters); write strings as '…'")
        elif char in "'\"`":
            j = _quoted_end(sql, i, dialect)
            kind = Kind.STRING if _is_string_quote(char, dialect) else Kind.IDENTIFIER
            start = _absorb_prefix(sql, segments, i, dialect) if kind is Kind.STRING else i
            segments.append(Segment(kind, start, j))
        else:
            j = i + 1
            if segments and segments[-1].kind is Kind.CODE and segments[-1].end == i:
                segments[-1] = Segment(Kind.CODE, segments[-1].start, j)
            else:
                segments.append(Segment(Kind.CODE, i, j))
        i = j
    return segments


def _is_string_quote(char: str, dialect: GuardDialect) -> bool:
    return char == "'" or (char == '"' and dialect == "bigquery")


def _absorb_prefix(sql: str, segments: list[Segment], quote: int, dialect: GuardDialect) -> int:
    """Move a literal's prefix letters (E'…', r'…') out of the preceding code segment into the literal."""
    if not segments or segments[-1].kind is not Kind.CODE or segments[-1].end != quote:
        return quote
    code = segments[-1]
    for width in (2, 1):
        start = quote - width
        if start < code.start:
            continue
        prefix = sql[start:quote].lower()
        before = sql[start - 1] if start > code.start else " "
        if prefix in _PREFIXES[dialect] and not (before.isalnum() or before == "_"):
            if start == code.start:
                segments.pop()
            else:
                segments[-1] = Segment(Kind.CODE, code.start, start)
            return start
    return quote


def _quoted_end(sql: str, start: int, dialect: GuardDialect) -> int:
    """The index after the closing quote of the literal or identifier opened at `start`."""
    quote = sql[start]
    if dialect == "bigquery" and sql.startswith(quote * 3, start) and quote != "`":
        close = start + 3
        while True:
            found = sql.find(quote * 3, close)
            if found < 0:
                raise UnsafeQuery("base_query has a string that is never closed")
            if _escaped(sql, start + 3, found):
                close = found + 1
                continue
            return found + 3
    # PostgreSQL reads backslashes literally (the connection sets standard_conforming_strings) except
    # in E'…' strings; ClickHouse and BigQuery read a backslash as an escape everywhere.
    backslash_escapes = dialect != "postgres" or _is_e_string(sql, start)
    i = start + 1
    n = len(sql)
    while i < n:
        char = sql[i]
        if char == "\\" and backslash_escapes:
            i += 2
            continue
        if char == quote:
            if i + 1 < n and sql[i + 1] == quote and not (dialect == "bigquery" and quote != "`"):
                i += 2  # a doubled quote stands for one quote character
                continue
            return i + 1
        i += 1
    raise UnsafeQuery("base_query has a string or quoted name that is never closed")


def _escaped(sql: str, floor: int, index: int) -> bool:
    backslashes = 0
    while index - 1 - backslashes >= floor and sql[index - 1 - backslashes] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _is_e_string(sql: str, quote: int) -> bool:
    if quote == 0 or sql[quote - 1] not in "eE":
        return False
    return quote < 2 or not (sql[quote - 2].isalnum() or sql[quote - 2] == "_")


def _check_characters(sql: str, segments: list[Segment]) -> None:
    for segment in segments:
        text = segment.text(sql)
        if segment.kind in (Kind.CODE, Kind.COMMENT, Kind.SPACE):
            for offset, char in enumerate(text):
                if not char.isascii() or (unicodedata.category(char) == "Cc" and char not in _WHITESPACE):
                    where = "a comment" if segment.kind is Kind.COMMENT else "the SQL"
                    raise UnsafeQuery(
                        f"base_query has the character {_name(char)} in {where} at offset "
                        f"{segment.start + offset}; only plain ASCII is allowed outside string literals "
                        "and quoted identifiers"
                    )
        elif segment.kind is Kind.IDENTIFIER:
            for char in text:
                if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"):
                    raise UnsafeQuery(f"base_query has the invisible character {_name(char)} in the quoted "
                                      f"identifier {text}")
            if unicodedata.normalize("NFKC", text) != text:
                raise UnsafeQuery(f"base_query has the quoted identifier {text}, which Unicode normalisation "
                                  "changes; write it in its normal form")


def _name(char: str) -> str:
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"


_LITERAL_TOKENS = frozenset({
    TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.BYTE_STRING, TokenType.RAW_STRING,
    TokenType.HEX_STRING, TokenType.BIT_STRING, TokenType.UNICODE_STRING, TokenType.HEREDOC_STRING,
})


def _check_agreement(sql: str, segments: list[Segment], tokens: list[Token]) -> None:
    """sqlglot's tokens must cover the code and the literals exactly, and nothing of the comments."""
    covered = bytearray(len(sql))
    literal_spans = set()
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON and token.start > token.end:
            continue
        covered[token.start:token.end + 1] = b"\x01" * (token.end + 1 - token.start)
        if token.token_type in _LITERAL_TOKENS or token.token_type == TokenType.IDENTIFIER:
            literal_spans.add((token.start, token.end + 1))
    mine = {(s.start, s.end) for s in segments if s.kind in (Kind.STRING, Kind.IDENTIFIER)}
    if mine != literal_spans:
        differing = sorted(mine ^ literal_spans)[0]
        raise UnsafeQuery(f"base_query's quoting near offset {differing[0]} "
                          f"({sql[differing[0]:differing[1]][:40]!r}) is read differently by engines; "
                          "simplify it")
    for segment in segments:
        inside = covered[segment.start:segment.end]
        skipped = segment.kind in (Kind.SPACE, Kind.COMMENT)
        # Whitespace may sit inside one token (`GROUP BY` is one keyword to sqlglot); a comment may not.
        if segment.kind is Kind.COMMENT and any(inside):
            raise UnsafeQuery(f"base_query's comment at offset {segment.start} is read as code by the parser; "
                              "remove it")
        if not skipped and not all(inside):
            raise UnsafeQuery(f"base_query has text at offset {segment.start} that the parser skips; remove it")


def _check_postgres_tokens(sql: str, tokens: list[Token]) -> None:
    for token in tokens:
        if token.token_type == TokenType.UNICODE_STRING:
            raise UnsafeQuery(f"base_query uses the unicode-escape string {sql[token.start:token.end + 1]}; "
                              "write the characters themselves")
    # U&"…" is lexed by sqlglot as the name U, the operator &, and a quoted identifier.
    for first, second, third in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if first.text.upper() == "U" and second.token_type == TokenType.AMP and \
                first.end + 1 == second.start and second.end + 1 == third.start:
            raise UnsafeQuery("base_query uses a U&\"…\" unicode-escape identifier; write the name itself")
