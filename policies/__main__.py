"""The policy pack; the policies themselves live in asana_guardrails.py, where tests import them."""

import sys
from pathlib import Path

# The pack runs from this repository (`--policy-pack policies`) and judges by the same rules the
# program does: the repository's rules/ package (pure Python, no dependencies).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asana_guardrails import POLICIES
from pulumi_policy import PolicyPack

PolicyPack(name="asana-provisioning-guardrails", policies=POLICIES)
