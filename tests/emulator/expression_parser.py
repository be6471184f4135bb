"""Entra's attribute-mapping expressions parsed into `attributeMappingSource`, as
`POST .../schema/parseExpression` answers (graph-synchronization.md §1.1, §2).

The parsed form copies what the service returns (MGDC v1.0
``synchronization-synchronizationschema-parseexpression.md``): a function is
``{"expression", "name", "parameters": [{"key", "value"}], "type": "Function"}`` with each
argument keyed by the function's parameter name, an argument left empty absent, a repeated
parameter repeating its key, and nested attributes, constants and calls as
attributeMappingSource values of their own. The expression text comes back with the same tokens,
arguments separated by ", " (so `Replace([preferredLanguage], "-", , , "_", ,  )` comes back as
`Replace([preferredLanguage], "-", , , "_", , )`, as in the documented example).

Parameter names: the service's own function list where it shows the function
(MGDC beta ``synchronization-synchronizationschema-functions.md``: Append, FormatDateTime, Join,
Mid, Not, Replace, SingleAppRoleAssignment, Split, StripSpaces, Switch), else the names of the
Entra expression reference (``functions-for-customizing-application-data.md``).

Not confirmed by any public source, and chosen to look plausible: the error code and messages
of an expression the service cannot parse (it answers 200 with `parsingSucceeded: false` and a
publicError, the shape parseExpressionResponse declares), and how a bare number argument is
encoded (a Constant whose expression is the number as written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .messages import JsonObject

PARSE_ERROR_CODE = "ExpressionParsingFailed"


@dataclass(frozen=True)
class Parameter:
    name: str
    required: bool = True
    repeats: bool = False


def _params(*names: str, optional: tuple[str, ...] = (), repeats: str | None = None) -> tuple:
    return tuple(
        Parameter(name, required=name not in optional, repeats=name == repeats) for name in names
    )


# Replace takes its source and then any of these (which ones depends on the form used).
_REPLACE_OPTIONAL = (
    "Find",
    "RegularExpression",
    "RegularExpressionGroupName",
    "Replacement",
    "ReplacementPropertyName",
    "Template",
)

FUNCTIONS: dict[str, tuple[Parameter, ...]] = {
    "Append": _params("source", "suffix"),
    "AppRoleAssignmentsComplex": _params("source"),
    "BitAnd": _params("value1", "value2"),
    "CBool": _params("Expression"),
    "CDate": _params("Expression"),
    "Coalesce": _params("source", repeats="source"),
    "ConvertToBase64": _params("source"),
    "ConvertToUTF8Hex": _params("source"),
    "Count": _params("attribute"),
    "CStr": _params("value"),
    "DateAdd": _params("interval", "value", "dateTime"),
    "DateDiff": _params("interval", "date1", "date2"),
    "DateFromNum": _params("value"),
    "FormatDateTime": _params(
        "source", "dateTimeStyles", "inputFormat", "outputFormat", optional=("dateTimeStyles",)
    ),
    "Guid": (),
    "IgnoreFlowIfNullOrEmpty": _params("Expression"),
    "IIF": _params("condition", "valueIfTrue", "valueIfFalse"),
    "InStr": _params("value1", "value2", "start", "compareType", optional=("start", "compareType")),
    "IsNull": _params("Expression"),
    "IsNullOrEmpty": _params("Expression"),
    "IsPresent": _params("Expression"),
    "IsString": _params("Expression"),
    "Item": _params("attribute", "index"),
    "Join": _params("separator", "source", repeats="source"),
    "Left": _params("String", "NumChars"),
    "Mid": _params("source", "start", "length"),
    "NormalizeDiacritics": _params("source"),
    "Not": _params("source"),
    "Now": (),
    "NumFromDate": _params("value"),
    "PCase": _params("source", "wordSeparators", optional=("wordSeparators",)),
    "RandomString": _params(
        "Length",
        "MinimumNumbers",
        "MinimumSpecialCharacters",
        "MinimumCapital",
        "MinimumLowerCase",
        "CharactersToAvoid",
        optional=("CharactersToAvoid",),
    ),
    "Redact": _params("source"),
    "RemoveDuplicates": _params("attribute"),
    "Replace": _params("source", *_REPLACE_OPTIONAL, optional=_REPLACE_OPTIONAL),
    "SelectUniqueValue": _params("uniqueValueRule", repeats="uniqueValueRule"),
    "SingleAppRoleAssignment": _params("source"),
    "Split": _params("source", "delimiter", optional=("delimiter",)),
    "StripSpaces": _params("source"),
    "Switch": _params(
        "source",
        "defaultValue",
        "switchValue",
        optional=("defaultValue", "switchValue"),
        repeats="switchValue",
    ),
    "ToLower": _params("source", "culture", optional=("culture",)),
    "ToUpper": _params("source", "culture", optional=("culture",)),
    "Word": _params("String", "WordNumber", "Delimiters"),
}
"""Every function of Entra's expression reference, with its parameters in order."""

MAX_LENGTH = 4096
MAX_DEPTH = 50
_TOKEN = re.compile(
    r'\s*(?:(?P<attribute>\[[^\[\]]*\])|(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?)'
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),]))"
)


class ExpressionParseError(ValueError):
    """The service could not parse the expression; the message is what it says."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    at: int


def parse(expression: str) -> JsonObject:
    """The attributeMappingSource of `expression`, or ExpressionParseError."""
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionParseError("The expression is empty.")
    if len(expression) > MAX_LENGTH:
        raise ExpressionParseError(f"The expression is longer than {MAX_LENGTH} characters.")
    tokens = _tokens(expression)
    source, position = _value(tokens, 0, 0)
    if position != len(tokens):
        raise ExpressionParseError(
            f"Syntax error at position {tokens[position].at + 1}: unexpected "
            f"'{tokens[position].text}' after the end of the expression."
        )
    return source


def _tokens(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    stripped_end = len(expression.rstrip())
    while position < stripped_end:
        match = _TOKEN.match(expression, position)
        if match is None or match.lastgroup is None:
            at = position + len(expression[position:]) - len(expression[position:].lstrip())
            raise ExpressionParseError(
                f"Syntax error at position {at + 1}: unexpected '{expression[at]}'."
            )
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def _value(tokens: list[_Token], i: int, depth: int) -> tuple[JsonObject, int]:
    if depth > MAX_DEPTH:
        raise ExpressionParseError(f"The expression nests functions deeper than {MAX_DEPTH}.")
    if i >= len(tokens):
        raise ExpressionParseError("Syntax error: the expression ends where a value was expected.")
    token = tokens[i]
    if token.kind == "attribute":
        name = token.text[1:-1].strip()
        if not name:
            raise ExpressionParseError(f"Syntax error at position {token.at + 1}: empty attribute.")
        return _leaf(f"[{name}]", name, "Attribute"), i + 1
    if token.kind == "string":
        value = re.sub(r"\\(.)", r"\1", token.text[1:-1])
        return _leaf(token.text, value, "Constant"), i + 1
    if token.kind == "number":
        return _leaf(token.text, token.text, "Constant"), i + 1
    if token.kind == "name" and i + 1 < len(tokens) and tokens[i + 1].text == "(":
        return _call(tokens, i, depth)
    raise ExpressionParseError(
        f"Syntax error at position {token.at + 1}: '{token.text}' is not an attribute, a "
        "string constant or a function call."
    )


def _call(tokens: list[_Token], i: int, depth: int) -> tuple[JsonObject, int]:
    name = tokens[i].text
    if name not in FUNCTIONS:
        raise ExpressionParseError(f"'{name}' is not a supported function.")
    arguments: list[JsonObject | None] = []
    position = i + 2
    if position < len(tokens) and tokens[position].text == ")":
        return _function(name, arguments), position + 1
    while True:
        if position < len(tokens) and tokens[position].text in {",", ")"}:
            arguments.append(None)  # an argument left empty
        else:
            argument, position = _value(tokens, position, depth + 1)
            arguments.append(argument)
        if position >= len(tokens):
            raise ExpressionParseError(f"Syntax error: the call to '{name}' is not closed.")
        if tokens[position].text == ")":
            return _function(name, arguments), position + 1
        if tokens[position].text != ",":
            raise ExpressionParseError(
                f"Syntax error at position {tokens[position].at + 1}: ',' or ')' expected."
            )
        position += 1


def _function(name: str, arguments: list[JsonObject | None]) -> JsonObject:
    declared = FUNCTIONS[name]
    fixed = [p for p in declared if not p.repeats]
    repeating = next((p for p in declared if p.repeats), None)
    if repeating is None and len(arguments) > len(declared):
        raise ExpressionParseError(
            f"The function '{name}' takes at most {len(declared)} parameter(s); "
            f"{len(arguments)} were given."
        )
    parameters: list[JsonObject] = []
    for index, argument in enumerate(arguments):
        parameter = fixed[index] if index < len(fixed) else repeating
        assert parameter is not None
        if argument is not None:
            parameters.append({"key": parameter.name, "value": argument})
    given = {pair["key"] for pair in parameters}
    for parameter in declared:
        if parameter.required and parameter.name not in given:
            raise ExpressionParseError(
                f"The function '{name}' requires the parameter '{parameter.name}'."
            )
    texts = ["" if argument is None else argument["expression"] for argument in arguments]
    return {
        "expression": f"{name}({', '.join(texts)})",
        "name": name,
        "parameters": parameters,
        "type": "Function",
    }


def _leaf(expression: str, name: str, kind: str) -> JsonObject:
    return {"expression": expression, "name": name, "parameters": [], "type": kind}
