"""Training glue behind :mod:`parttrack.training.run`: config, data streams, Lightning modules, callbacks."""
