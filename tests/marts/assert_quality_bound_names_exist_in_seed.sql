-- Fails when a model or test calls `quality_bound('<name>', ...)` with a name that has no row in
-- the seed `quality_bounds` (the check would never fire).
{{ called_names_missing_from_seed('quality_bound', 'quality_bounds', 'bound_name') }}
