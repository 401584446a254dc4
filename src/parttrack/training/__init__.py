"""Training glue behind :mod:`parttrack.train`: config, data streams, Lightning modules, callbacks."""
