"""Attribute-mapping expressions are read the way Microsoft's reference writes them.

Syntax, from "Reference for writing expressions for attribute mappings"
(https://learn.microsoft.com/entra/identity/app-provisioning/functions-for-customizing-application-data,
"Syntax overview"): a function is a name followed by its arguments in parentheses, and functions
nest; an argument is an [attribute] in square brackets, a "string constant" in double quotes or
another function; inside a string constant a backslash or a quotation mark is escaped with a
backslash; names are case-sensitive. The accepted expressions below are the reference's own
examples. A refused expression's message says why and names the 1-based character where the
problem is, which each case finds in the expression itself.
"""

from __future__ import annotations

import pytest

from rules import expressions
from rules.expressions import ExpressionError, Token

# Examples printed in the reference, each under the function it documents.
DOCUMENTED = {
    "append": 'Append([userPrincipalName], ".test")',
    "guid": "Guid()",
    "now": "Now()",
    "dateadd": 'DateAdd("d", 7, CDate([StatusHireDate]))',
    "datediff": 'DateDiff("d", Now(), CDate([StatusHireDate]))',
    "redact_randomstring": "Redact(RandomString(6,3,0,0,3))",
    "formatdatetime_empty_argument": (
        'FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")'
    ),
    "numfromdate_empty_string_separator": (
        'NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", '
        '"yyyy-MM-dd"), " 23:59:59-08:00"))'
    ),
    "replace_escaped_backslashes": (
        'Replace([telephoneNumber], , "\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})", , '
        '"${phoneNumber}", , )'
    ),
    "iif_comparison": 'IIF([country]="USA",[country],[department])',
    "iif_nested_for_and": 'IIF([country]="USA",IIF([state]="CA","True","False"),"False")',
    "cbool_comparison": "CBool([attribute1] = [attribute2])",
    "datediff_compared_in_switch": (
        'Switch([a], "x", "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "y", "z"))'
    ),
    "every_comparison_operator": (
        'IIF([a]<>"x", IIF([n]>=1, IIF([n]<=2, IIF([n]<3, "a", "b"), "c"), "d"), "e")'
    ),
    "bitand_hex_numbers": "BitAnd(&HF, &HF7)",
    "instr_binary_compare": 'InStr("repEated","e",3,vbBinaryCompare)',
    "instr_text_compare": 'InStr([mail], "@", 1, vbTextCompare)',
    "selectuniquevalue_over_lines": """SelectUniqueValue(
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"),
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 1), [PreferredLastName]))), "contoso.com")
    )""",  # noqa: E501 - the reference's own layout
}


@pytest.mark.parametrize("expression", DOCUMENTED.values(), ids=DOCUMENTED.keys())
def test_the_references_own_examples_are_accepted(expression: str):
    expressions.validate(expression)


def test_an_expression_splits_into_attributes_numbers_names_and_punctuation_where_written():
    """Each token keeps its text and the 0-based index where it starts (for error positions)."""
    expression = "Mid([PreferredFirstName], 1, 2)"

    assert expressions.tokenize(expression) == [
        Token("name", "Mid", 0),
        Token("(", "(", 3),
        Token("attribute", "PreferredFirstName", 4),
        Token(",", ",", 24),
        Token("number", "1", 26),
        Token(",", ",", 27),
        Token("number", "2", 29),
        Token(")", ")", 30),
    ]
    assert [expression[t.at] for t in expressions.tokenize(expression)] == list("M([,1,2)")


def test_an_escaped_quote_stays_inside_its_string_constant():
    """The reference's escaping example: `"Company name: \\"Contoso\\""` is one string."""
    constant = '"Company name: \\"Contoso\\""'
    expression = f"Append([displayName], {constant})"

    assert expressions.tokenize(expression)[-2:] == [
        Token("string", constant, expression.index(constant)),
        Token(")", ")", len(expression) - 1),
    ]
    expressions.validate(expression)


def test_an_escaped_backslash_before_the_closing_quote_does_not_escape_the_quote():
    """`"\\\\"` is a string holding one backslash; the quote after it closes the string."""
    expression = 'Join("\\\\", [givenName], [surname])'

    assert expressions.tokenize(expression)[2] == Token("string", '"\\\\"', 5)
    expressions.validate(expression)


# (id, expression, the text (its last occurrence) whose first character the message names,
#  the message)
REFUSED = [
    ("blank", "   ", None, "the expression is empty"),
    (
        "unclosed_attribute",
        'Append([mail, ".test")',
        "[mail",
        "the attribute opened at character {at} is not closed",
    ),
    (
        "empty_attribute",
        "Coalesce([mail], [])",
        "[]",
        "the attribute at character {at} has no valid name",
    ),
    ("stray_closing_bracket", "[mail]]", "]", "']' at character {at} closes no attribute"),
    (
        "unclosed_string",
        'Append([mail], ".test)',
        '".test',
        "the string opened at character {at} is not closed",
    ),
    ("semicolon", 'Append([mail]; ".test")', ";", "unexpected ';' at character {at}"),
    ("two_values", "[givenName] [surname]", "[surname]", "unexpected text at character {at}"),
    (
        "ends_after_comma",
        "Append([mail],",
        None,
        "the expression ends where a value was expected",
    ),
    ("ends_after_parenthesis", "Now(", None, "the expression ends where a value was expected"),
    (
        "parenthesis_as_argument",
        'Append([mail], ("x"))',
        '("x")',
        "a value was expected at character {at}",
    ),
    (
        "bare_name_argument",
        "Append([mail], mail)",
        "mail)",
        "'mail' at character {at} is neither a function call, an [attribute] nor a \"string\"",
    ),
    (
        "function_name_without_call",
        "Now",
        "Now",
        "'Now' at character {at} is neither a function call, an [attribute] nor a \"string\"",
    ),
    (
        "unknown_function",
        "Xor([a], [b])",
        None,
        "'Xor' is not one of Entra's expression functions (names are case-sensitive)",
    ),
    (
        "wrong_case",
        "now()",
        None,
        "'now' is not one of Entra's expression functions (names are case-sensitive)",
    ),
    (
        "unclosed_call",
        'ToLower(Append([mail], ".x")',
        "ToLower",
        "the call to ToLower at character {at} is not closed",
    ),
    (
        "chained_comparison",
        'IIF([a] = [b] = [c], "x", "y")',
        "= [c]",
        "',' or ')' was expected at character {at}",
    ),
    (
        "comparison_without_right_side",
        'IIF([a] =, "x", "y")',
        ', "x"',
        "a value was expected at character {at}",
    ),
    ("comparison_first", "=[a]", "=", "a value was expected at character {at}"),
    (
        "compare_type_called",
        'InStr([a], "b", 1, vbTextCompare())',
        None,
        "'vbTextCompare' is not one of Entra's expression functions (names are case-sensitive)",
    ),
    (
        "compare_type_wrong_case",
        'InStr([a], "b", 1, vbtextcompare)',
        "vbtextcompare",
        "'vbtextcompare' at character {at} is neither a function call, an [attribute] nor a "
        '"string"',
    ),
    ("hex_without_digits", "BitAnd(&H, 1)", "&", "unexpected '&' at character {at}"),
    (
        "missing_comma",
        'Append([mail] ".test")',
        '".test"',
        "',' or ')' was expected at character {at}",
    ),
]


@pytest.mark.parametrize(
    ("expression", "where", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_a_malformed_expression_is_refused_saying_why_and_where(
    expression: str, where: str | None, message: str
):
    with pytest.raises(ExpressionError) as error:
        expressions.validate(expression)

    at = None if where is None else expression.rindex(where) + 1
    assert str(error.value) == message.format(at=at)


def test_the_length_bound_admits_exactly_its_own_length():
    head, tail = 'Append([mail], "', '")'
    padding = expressions.MAX_LENGTH - len(head) - len(tail)
    longest = head + "x" * padding + tail

    assert len(longest) == expressions.MAX_LENGTH
    expressions.validate(longest)
    with pytest.raises(ExpressionError) as error:
        expressions.validate(head + "x" * (padding + 1) + tail)
    assert str(error.value) == f"the expression is longer than {expressions.MAX_LENGTH} characters"


def test_a_comparison_keeps_its_operator_when_spaces_are_taken_out():
    """Two expressions that differ only in spaces compare equal (`canonical`), and one whose
    comparison differs does not."""
    spaced = expressions.canonical('IIF([country] = "USA", [country], [department])')

    assert spaced == 'IIF([country]="USA",[country],[department])'
    assert spaced != expressions.canonical('IIF([country] <> "USA", [country], [department])')
