"""The policy pack; the policies themselves live in asana_guardrails.py, where tests import them."""

from asana_guardrails import POLICIES
from pulumi_policy import PolicyPack

PolicyPack(name="asana-provisioning-guardrails", policies=POLICIES)
