-- Fails when a model or test calls `threshold('<name>')` with a name that has no row in the seed
-- `seg_thresholds` (the rule would never match).
{{ called_names_missing_from_seed('threshold', 'seg_thresholds', 'threshold_name') }}
