"""Entra attribute-mapping expressions: offline checks and a canonical form for comparing them.

Syntax per Microsoft's "Reference for writing expressions for attribute mappings": attributes in
square brackets, string constants in double quotes, functions called by name with arguments in
parentheses (an argument may be left empty, as in `Switch([IsSoftDeleted], , "False", ...)`).
The syntax is case-sensitive. A value may be compared with another by `=`, `<>`, `>`, `>=`, `<`
or `<=` (the IIF section: `IIF([country]="USA",[country],[department])`; CBool's example
`CBool([attribute1] = [attribute2])`); there is no AND or OR. Numbers may be written in hex as
`&HF7` (BitAnd's example) and InStr's compare type is the bare name `vbTextCompare` or
`vbBinaryCompare`. We check what can be checked without the service: balanced brackets,
parentheses and quotes, and function names from the documented list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# functions-for-customizing-application-data.md (api-facts graph-synchronization §2).
FUNCTIONS = frozenset(
    {
        "Append",
        "AppRoleAssignmentsComplex",
        "BitAnd",
        "CBool",
        "CDate",
        "Coalesce",
        "ConvertToBase64",
        "ConvertToUTF8Hex",
        "Count",
        "CStr",
        "DateAdd",
        "DateDiff",
        "DateFromNum",
        "FormatDateTime",
        "Guid",
        "IgnoreFlowIfNullOrEmpty",
        "IIF",
        "InStr",
        "IsNull",
        "IsNullOrEmpty",
        "IsPresent",
        "IsString",
        "Item",
        "Join",
        "Left",
        "Mid",
        "NormalizeDiacritics",
        "Not",
        "Now",
        "NumFromDate",
        "PCase",
        "RandomString",
        "Redact",
        "RemoveDuplicates",
        "Replace",
        "SelectUniqueValue",
        "SingleAppRoleAssignment",
        "Split",
        "StripSpaces",
        "Switch",
        "ToLower",
        "ToUpper",
        "Word",
    }
)
CONSTANTS = frozenset({"vbTextCompare", "vbBinaryCompare"})
"""Bare names that are values: InStr's compareType ("Can be vbTextCompare or vbBinaryCompare")."""
MAX_LENGTH = 4096
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?|&H[0-9A-Fa-f]+")
_COMPARISON = re.compile(r"<>|>=|<=|=|>|<")


class ExpressionError(ValueError):
    """An expression Entra would refuse; the message says where and why."""


@dataclass(frozen=True)
class Token:
    kind: str  # "attribute", "string", "number", "name", "comparison", "(", ")", ","
    text: str
    at: int


def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(expression):
        char = expression[i]
        if char.isspace():
            i += 1
        elif char == "[":
            end = expression.find("]", i + 1)
            if end < 0:
                raise ExpressionError(f"the attribute opened at character {i + 1} is not closed")
            name = expression[i + 1 : end]
            if not name.strip() or "[" in name:
                raise ExpressionError(f"the attribute at character {i + 1} has no valid name")
            tokens.append(Token("attribute", name, i))
            i = end + 1
        elif char == "]":
            raise ExpressionError(f"']' at character {i + 1} closes no attribute")
        elif char == '"':
            j = i + 1
            while j < len(expression) and expression[j] != '"':
                j += 2 if expression[j] == "\\" else 1
            if j >= len(expression):
                raise ExpressionError(f"the string opened at character {i + 1} is not closed")
            tokens.append(Token("string", expression[i : j + 1], i))
            i = j + 1
        elif char in "(),":
            tokens.append(Token(char, char, i))
            i += 1
        elif match := _NUMBER.match(expression, i):
            tokens.append(Token("number", match.group(), i))
            i = match.end()
        elif match := _COMPARISON.match(expression, i):
            tokens.append(Token("comparison", match.group(), i))
            i = match.end()
        elif match := _IDENTIFIER.match(expression, i):
            tokens.append(Token("name", match.group(), i))
            i = match.end()
        else:
            raise ExpressionError(f"unexpected {char!r} at character {i + 1}")
    return tokens


def validate(expression: str) -> None:
    """Raises `ExpressionError` unless `expression` is one well-formed value."""
    if not expression.strip():
        raise ExpressionError("the expression is empty")
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    tokens = tokenize(expression)
    position = _value(tokens, 0)
    if position != len(tokens):
        raise ExpressionError(f"unexpected text at character {tokens[position].at + 1}")


def _value(tokens: list[Token], i: int) -> int:
    """Parses one value starting at `i`, or two compared (`[a] = "b"`); returns the index after
    it. A comparison is not chained: there is nothing to join two of them with."""
    i = _operand(tokens, i)
    if i < len(tokens) and tokens[i].kind == "comparison":
        return _operand(tokens, i + 1)
    return i


def _operand(tokens: list[Token], i: int) -> int:
    """Parses one attribute, constant or function call starting at `i`."""
    if i >= len(tokens):
        raise ExpressionError("the expression ends where a value was expected")
    token = tokens[i]
    if token.kind in {"attribute", "string", "number"}:
        return i + 1
    if token.kind != "name":
        raise ExpressionError(f"a value was expected at character {token.at + 1}")
    calls = i + 1 < len(tokens) and tokens[i + 1].kind == "("
    if token.text in CONSTANTS and not calls:
        return i + 1
    if not calls:
        raise ExpressionError(
            f"{token.text!r} at character {token.at + 1} is neither a function call, an "
            '[attribute] nor a "string"'
        )
    if token.text not in FUNCTIONS:
        raise ExpressionError(
            f"{token.text!r} is not one of Entra's expression functions (names are case-sensitive)"
        )
    i += 2
    if i < len(tokens) and tokens[i].kind == ")":
        return i + 1
    while True:
        if i < len(tokens) and tokens[i].kind in {",", ")"}:
            pass  # an empty argument, as Switch and Replace allow
        else:
            i = _value(tokens, i)
        if i >= len(tokens):
            raise ExpressionError(
                f"the call to {token.text} at character {token.at + 1} is not closed"
            )
        if tokens[i].kind == ")":
            return i + 1
        if tokens[i].kind != ",":
            raise ExpressionError(f"',' or ')' was expected at character {tokens[i].at + 1}")
        i += 1


def canonical(expression: str) -> str:
    """The expression without insignificant spaces, for telling real changes from formatting."""
    try:
        tokens = tokenize(expression)
    except ExpressionError:
        return expression.strip()
    return "".join(f"[{t.text}]" if t.kind == "attribute" else t.text for t in tokens)


def outer_function(expression: str) -> str | None:
    """The name of the function an expression calls at its top level, if it is a call."""
    tokens = tokenize(expression)
    if len(tokens) > 1 and tokens[0].kind == "name" and tokens[1].kind == "(":
        return tokens[0].text
    return None
