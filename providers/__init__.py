"""Our Pulumi dynamic resources (the Asana token, the provisioning template, the attribute
mappings) and what only they need: their input checks, their base class, the schema lock.
They call Graph and Asana through `clients/` and judge data with `rules/`."""
