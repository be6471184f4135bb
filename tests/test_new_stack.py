"""`python -m tools.new_stack`: a new environment in one step, and `make test` stays green.

The main test adds two stacks to a copy of the repository (one copied from dev, one from the
template) and runs the tests that check stacks, policies and workflows in that copy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import tools.new_stack as new_stack_module
from clients.connection import PROJECT
from components.settings import SettingsError, load_settings
from rules.identifiers import display_name_problem
from tests.repository import copy_repository
from tools.new_stack import DISPLAY_NAME_KEY, PER_ENVIRONMENT, main, workflow_inputs
from tools.stacks import ROOT, deploy_order

STACK_TESTS = ("tests/test_program_stacks.py", "tests/test_policies.py", "tests/test_workflows.py")
SUBRUN_TIMEOUT_SECONDS = 600


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def new_stack(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.new_stack", *args],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def two_new_stacks(tmp_path_factory: pytest.TempPathFactory):
    copy = copy_repository(tmp_path_factory.mktemp("repository"))
    staging = new_stack(copy, "--name", "staging", "--after", "dev", "--from", "dev")
    qa = new_stack(copy, "--name", "qa")
    return copy, staging, qa


def test_a_new_stack_gets_a_stack_file_a_policy_config_and_its_place_in_the_order(two_new_stacks):
    copy, staging, qa = two_new_stacks

    assert staging.returncode == 0 and qa.returncode == 0, staging.stderr + qa.stderr
    assert deploy_order(copy) == ["dev", "staging", "prod", "qa"]
    staging_config = yaml.safe_load((copy / "stacks" / "Pulumi.staging.yaml").read_text())
    dev_config = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    assert staging_config["config"] == {
        **dev_config["config"],
        "asana-provisioning:appDisplayName": "Asana (staging)",
    }
    assert (copy / "policies/config/staging.json").read_text() == (
        ROOT / "policies/config/dev.json"
    ).read_text()
    qa_config = yaml.safe_load((copy / "stacks" / "Pulumi.qa.yaml").read_text())["config"]
    assert qa_config["asana-provisioning:appDisplayName"] == "Asana (qa)"
    assert json.loads((copy / "policies/config/qa.json").read_text()) == {"all": "mandatory"}


def test_the_tests_that_check_stacks_pass_with_the_new_stacks(two_new_stacks):
    copy, _, _ = two_new_stacks

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *STACK_TESTS],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=SUBRUN_TIMEOUT_SECONDS,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(copy)},
    )

    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    for stack in ("staging", "qa"):
        assert f"test_every_resource_belongs_to_the_component[{stack}] PASSED" in run.stdout
        assert f"test_shipped_stacks_pass_the_pack_with_their_config[{stack}] PASSED" in run.stdout
    assert "test_the_listing_gives_every_stack_file_in_the_declared_order PASSED" in run.stdout


def test_it_prints_what_the_operator_must_create(two_new_stacks):
    copy, staging, _ = two_new_stacks
    out = staging.stdout

    assert "New environment named staging" in out
    for name in PER_ENVIRONMENT:
        assert name in out
    for names in workflow_inputs(copy).values():
        assert all(name in out for name in names)
    assert "pulumi config set --secret asanaToken <token> --stack staging" in out
    assert "pulumi stack select --create staging" in out
    assert "repo:<owner>/<repo>:environment:staging" in out
    assert "dev -> staging -> prod" in out


def test_what_it_names_as_per_environment_is_what_the_deploy_workflow_reads():
    reads = workflow_inputs(ROOT)

    for name, (kind, _) in PER_ENVIRONMENT.items():
        assert name in reads[kind], name


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for name in ("stacks", "policies/config", ".github/workflows", ".github/actions"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--name", "stag/ing"], "--name: stack name 'stag/ing' contains '/'; allowed: 1 to 100"),
        (["--name", ""], "--name: a stack name may not be empty"),
        (["--name", "dev"], "stack dev exists already (stacks/Pulumi.dev.yaml)"),
        (["--name", "Prod"], "stack Prod would share the GitHub environment of stack prod"),
        (["--name", "qa", "--after", "test"], "--after test: no such stack in stacks/deploy-order"),
        (["--name", "qa", "--from", "test"], "--from test: no such stack; known: dev, prod"),
        (
            ["--name", "qa", "--display-name", " "],
            "--display-name: ' ' is not a display name of 1 to 120 characters",
        ),
        (
            ["--name", "qa", "--display-name", "A" * 121],
            "--display-name: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'… (121 characters) is not a "
            "display name of 1 to 120 characters",
        ),
        (
            ["--name", "qa", "--display-name", "Asana\tqa"],
            "--display-name: 'Asana\\tqa' is not a display name without control or invisible "
            "characters (U+0009, a control character, at character 6)",
        ),
        (
            ["--name", "qa", "--display-name", "Asana\u202eaq"],
            "--display-name: 'Asana\\u202eaq' is not a display name",
        ),
    ],
    ids=[
        "bad name",
        "empty name",
        "existing",
        "case clash",
        "after",
        "from",
        "blank display name",
        "display name too long",
        "display name with a control character",
        "display name with a bidi override",
    ],
)
def test_a_bad_request_is_refused_with_a_clear_error_and_writes_nothing(repo, capsys, args, error):
    before = tree(repo)

    code = main(args, root=repo)

    assert code == 1
    assert f"error: {error}" in capsys.readouterr().err
    assert tree(repo) == before


def test_a_stray_policy_config_is_not_overwritten(repo, capsys):
    (repo / "policies/config/qa.json").write_text("{}\n")

    assert main(["--name", "qa"], root=repo) == 1
    assert "policies/config/qa.json exists already" in capsys.readouterr().err


def test_a_copy_leaves_out_the_source_stacks_secrets_and_encryption_salt(repo, capsys):
    dev = repo / "stacks" / "Pulumi.dev.yaml"
    dev.write_text(
        dev.read_text()
        + "  asana-provisioning:asanaToken:\n    secure: v1:c2VjcmV0LXRva2Vu\n"
        + "  asana-provisioning:healthWindowHours: 48\n"
        + "encryptionsalt: v1:c2FsdA==:v1:abc\n"
    )

    assert main(["--name", "uat", "--from", "dev"], root=repo) == 0
    text = (repo / "stacks" / "Pulumi.uat.yaml").read_text()
    copied = yaml.safe_load(text)

    assert "secure" not in text and "encryptionsalt" not in text
    assert "asana-provisioning:asanaToken" not in copied["config"]
    assert copied["config"]["asana-provisioning:healthWindowHours"] == 48
    assert "--stack uat" in text and "--stack dev" not in text
    assert "# Attribute mappings" in text  # the source's comments are kept
    assert "(copied from dev" in capsys.readouterr().out


NESTED_SECRETS = (
    "  asana-provisioning:scimHeaders:\n"
    "    - plain-value\n"
    "    - secure: v1:bGlzdC1pdGVtLXNlY3JldA==\n"
    "  asana-provisioning:extra:\n"
    "    inner:\n"
    "      token:\n"
    "        secure: v1:bmVzdGVkLXNlY3JldA==\n"
    "    plain: kept-only-in-dev\n"
    "  asana-provisioning:sameIndentList:\n"
    "  - secure: v1:c2FtZS1pbmRlbnQ=\n"
    "  asana-provisioning:healthWindowHours: 48\n"
    "encryptionsalt: v1:c2FsdA==:v1:abc\n"
)


def test_a_copy_leaves_out_each_setting_with_a_secret_at_any_depth_and_names_it(repo, capsys):
    dev = repo / "stacks" / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + NESTED_SECRETS)

    assert main(["--name", "uat", "--from", "dev"], root=repo) == 0
    text = (repo / "stacks" / "Pulumi.uat.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    out = capsys.readouterr().out

    assert "secure" not in text and "v1:" not in text
    for key in ("scimHeaders", "extra", "sameIndentList"):
        assert f"asana-provisioning:{key}" not in config
    assert config["asana-provisioning:healthWindowHours"] == 48
    assert "asana-provisioning:scimHeaders, asana-provisioning:extra, " in out
    assert "plain parts as in stacks/Pulumi.dev.yaml" in out
    for path in ("'...:scimHeaders[1]'", "...:extra.inner.token", "'...:sameIndentList[0]'"):
        path = path.replace("...", "asana-provisioning")
        assert f"pulumi config set --secret --path {path} <value> --stack uat" in out
    assert "scimHeaders[0]" not in out  # a plain item, copied by hand with the rest


def test_the_copy_check_refuses_a_secret_left_at_any_depth(repo, capsys, monkeypatch):
    """The parsed copy is checked for secrets on its own, so a layout the line filter misses
    cannot carry the source stack's ciphertext into the new stack."""
    monkeypatch.setattr(new_stack_module, "_without_blocks", lambda lines, keys: lines)
    dev = repo / "stacks" / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "  asana-provisioning:h:\n    - secure: v1:eA==\n")
    before = tree(repo)

    assert main(["--name", "uat", "--from", "dev"], root=repo) == 1
    assert "cannot copy safely" in capsys.readouterr().err
    assert tree(repo) == before


def test_a_stack_file_it_cannot_copy_faithfully_is_refused(repo, capsys):
    (repo / "stacks" / "Pulumi.dev.yaml").write_text(
        'config: {"asana-provisioning:deletionThreshold": 5}\n'
    )
    before = tree(repo)

    assert main(["--name", "uat", "--from", "dev"], root=repo) == 1
    assert "cannot copy safely" in capsys.readouterr().err
    assert tree(repo) == before


def test_a_source_stack_file_that_is_not_yaml_is_named(repo, capsys):
    (repo / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  a: [unclosed\n")

    assert main(["--name", "uat", "--from", "dev"], root=repo) == 1
    assert "error: stack dev's file is not valid YAML" in capsys.readouterr().err
    assert not (repo / "stacks" / "Pulumi.uat.yaml").exists()


@pytest.mark.parametrize(
    "display_name",
    [
        "",
        " ",
        "A" * 120,
        "A" * 121,
        "Asana\x00",
        "Asana\u200b(qa)",
        "Asana (Zürich)",
        "Asana: #2",
        "👩‍💻 Engineers",
        "Asa\u200dna",
    ],
)
def test_it_judges_a_display_name_as_the_stack_setting_does(repo, capsys, display_name):
    """What `--display-name` accepts is what `pulumi preview` accepts as appDisplayName."""
    config = {f"{DISPLAY_NAME_KEY}": display_name, f"{PROJECT}:asanaToken": "2/1/2:token"}
    try:
        load_settings(config, {f"{PROJECT}:asanaToken"})
        setting_error = ""
    except SettingsError as error:
        setting_error = str(error)

    code = main(["--name", "qa", "--display-name", display_name], root=repo)

    if "appDisplayName" in setting_error:
        assert code == 1
        rule = setting_error.split("appDisplayName", 1)[1]
        assert display_name_problem(display_name) in rule
        assert display_name_problem(display_name) in capsys.readouterr().err
    else:
        assert code == 0, capsys.readouterr().err
        written = yaml.safe_load((repo / "stacks" / "Pulumi.qa.yaml").read_text())["config"]
        assert written[DISPLAY_NAME_KEY] == display_name


def test_a_display_name_yaml_would_misread_is_quoted(repo):
    assert main(["--name", "uat", "--display-name", "Asana: UAT #2"], root=repo) == 0

    config = yaml.safe_load((repo / "stacks" / "Pulumi.uat.yaml").read_text())["config"]
    assert config["asana-provisioning:appDisplayName"] == "Asana: UAT #2"


def test_make_stack_runs_the_tool_with_its_arguments():
    if shutil.which("make") is None:
        pytest.skip("no make")
    dry = subprocess.run(
        ["make", "-n", "stack", "NAME=staging", "AFTER=dev", "FROM=dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    command = " ".join(dry.stdout.replace("\\\n", " ").split())
    assert '-m tools.new_stack --name "staging" --after "dev" --from "dev"' in command
