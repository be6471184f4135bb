"""The emulator's parseExpression answers as Graph documents it, and its schema PUT refuses a
mapping to an attribute the target directory does not define."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rules import expressions
from tests.conftest import SERVICE_PRINCIPAL_ID
from tests.emulator import Emulator
from tests.emulator.asana_schema import asana_template_schema
from tests.emulator.client import GraphTestClient
from tests.emulator.expression_parser import FUNCTIONS, ExpressionParseError, parse
from tests.graph_models import assert_graph_body

TENANT = "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"
CLIENT = "6e7f8091-a2b3-4c4d-9e5f-6a7b8c9d0e1f"
SECRET = "parse-expression-test-secret"


@pytest.fixture
def graph(emulator: Emulator) -> GraphTestClient:
    return GraphTestClient(emulator, TENANT, CLIENT, SECRET)


@pytest.fixture
def job_path(emulator: Emulator) -> str:
    job = emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")
    return f"/v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}/synchronization/jobs/{job}"


def function_sources(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        m["source"]
        for rule in schema["synchronizationRules"]
        for om in rule["objectMappings"]
        for m in om["attributeMappings"]
        if m["source"]["type"] == "Function"
    ]


def test_the_parser_knows_exactly_entras_documented_functions():
    assert set(FUNCTIONS) == set(expressions.FUNCTIONS)


def test_the_templates_function_sources_are_what_the_parser_returns():
    sources = function_sources(asana_template_schema())

    assert [parse(source["expression"]) for source in sources] == sources
    assert len(sources) == 2


def test_the_documented_example_parses_as_documented(graph: GraphTestClient, job_path: str):
    """MGDC v1.0 synchronization-synchronizationschema-parseexpression.md, request and
    response (the extra space before the closing parenthesis goes)."""
    response = graph.request(
        "POST",
        f"{job_path}/schema/parseExpression",
        json={"expression": 'Replace([preferredLanguage], "-", , , "_", ,  )'},
    )

    assert response.status_code == 200
    answer = response.json()
    assert_graph_body("parseExpressionResponse", answer)
    assert answer["parsingSucceeded"] is True and answer["error"] is None
    assert answer["parsedExpression"] == {
        "expression": 'Replace([preferredLanguage], "-", , , "_", , )',
        "name": "Replace",
        "parameters": [
            {"key": "source", "value": leaf("[preferredLanguage]", "preferredLanguage")},
            {"key": "Find", "value": leaf('"-"', "-", "Constant")},
            {"key": "Replacement", "value": leaf('"_"', "_", "Constant")},
        ],
        "type": "Function",
    }


def leaf(expression: str, name: str, kind: str = "Attribute") -> dict[str, Any]:
    return {"expression": expression, "name": name, "parameters": [], "type": kind}


def test_nested_calls_are_parsed_into_nested_sources():
    parsed = parse('ToLower(Join("@", StripSpaces([givenName]), "contoso.com"))')

    join = parsed["parameters"][0]["value"]
    assert [p["key"] for p in join["parameters"]] == ["separator", "source", "source"]
    assert join["parameters"][1]["value"]["name"] == "StripSpaces"
    assert parsed["expression"] == 'ToLower(Join("@", StripSpaces([givenName]), "contoso.com"))'


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("Append([mail])", "requires the parameter 'suffix'"),
        ("Not([a], [b])", "takes at most 1 parameter(s)"),
        ("Capitalize([givenName])", "'Capitalize' is not a supported function"),
        ('Join(" ", [givenName]', "is not closed"),
        ("[givenName] [surname]", "after the end of the expression"),
        ("jobTitle", "is not an attribute, a string constant or a function call"),
        ("", "empty"),
    ],
)
def test_an_expression_it_cannot_parse_is_a_200_with_the_reason(
    graph: GraphTestClient, job_path: str, expression: str, words: str
):
    with pytest.raises(ExpressionParseError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse(expression)
    response = graph.request(
        "POST", f"{job_path}/schema/parseExpression", json={"expression": expression}
    )

    assert response.status_code == 200
    answer = response.json()
    assert_graph_body("parseExpressionResponse", answer)
    assert answer["parsingSucceeded"] is False and answer["parsedExpression"] is None
    assert answer["error"]["code"] == "ExpressionParsingFailed"
    assert words in answer["error"]["message"]


def test_a_schema_put_mapping_an_attribute_the_target_object_lacks_is_refused(
    emulator: Emulator, graph: GraphTestClient, job_path: str
):
    schema = asana_template_schema()
    before = emulator.schema(SERVICE_PRINCIPAL_ID, job_path.rsplit("/", 1)[-1])
    refused = copy.deepcopy(schema)
    users = refused["synchronizationRules"][0]["objectMappings"][0]
    users["attributeMappings"][3]["targetAttributeName"] = 'emails[type eq "work"].value'

    response = graph.request("PUT", f"{job_path}/schema", json=refused)

    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "The target attribute 'emails[type eq \"work\"].value'" in message
    assert f"object '{users['targetObjectName']}' of directory 'Asana'" in message
    assert emulator.schema(SERVICE_PRINCIPAL_ID, job_path.rsplit("/", 1)[-1]) == before
    assert graph.request("PUT", f"{job_path}/schema", json=schema).status_code == 204
