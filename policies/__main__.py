"""The policy pack; the policies themselves live in asana_guardrails.py, where tests import them."""

import sys
from pathlib import Path

# The pack runs from this repository (`--policy-pack policies`) and judges by the same rules the
# program does: the repository's rules/ package (pure Python, no dependencies). Appended, so the
# repository's folders never shadow a module of the pack's own environment (policies/venv has
# no package named `rules`).
sys.path.append(str(Path(__file__).resolve().parent.parent))

from asana_guardrails import POLICIES
from pulumi_policy import PolicyPack

PolicyPack(name="asana-provisioning-guardrails", policies=POLICIES)
