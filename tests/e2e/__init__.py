"""End-to-end runs of the real Pulumi CLI against the local tenant (`make demo`, `make e2e`)."""
