"""An independent oracle of the project's specs, for tests: the public marts recomputed in pandas.

It reads the raw files only (plus the thresholds and tier labels seeds) and follows the spec's text:
raw_contract.md (`raw`), segmentation.md (`segmentation`; its readouts in `readouts`) and
stream_review.md (`streams`). It shares no code or query with the dbt models, so a change of the SQL
that departs from the spec shows as a difference.
"""
