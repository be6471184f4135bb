"""Pure rules and facts every layer judges input by: no I/O, no Pulumi, imported by all."""
