"""BG/NBD and Gamma-Gamma fitted by maximum likelihood on the buyers' "buy till you die" columns (per day).

One row per model and parameter. Too little data (seed minimums clv_min_buyers, clv_min_repeat_buyers) or a
fit that does not converge: no row for that model and a warning in the build log, never a failed build.
The math lives in livetier/clv.py (tested against the lifetimes package and the published CDNOW fit).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from livetier import clv

    thresholds = dbt.ref("int_thresholds_current").df()
    facts = dbt.ref("user_facts")
    as_of = dbt.ref("int_as_of_date").df()
    as_of_date = clv.as_date(as_of["as_of_date"].iloc[0])
    buyers = facts.filter("frequency is not null").project('user_id, frequency, recency, "T", monetary_value').df()
    min_buyers, min_repeat = clv.seed_values(thresholds, "clv_min_buyers", "clv_min_repeat_buyers")
    fits = clv.fit_models(buyers, int(min_buyers), int(min_repeat))
    for fit in fits:
        if not fit.ok and fit.status != "skipped":
            clv.warn(f"clv_model_fit: no {fit.model} fit as of {as_of_date} ({fit.status}): {fit.message}; "
                     "its predictions are null and the predictive tags fall back to the rules")
    return clv.typed(session, clv.fit_rows(fits, as_of_date), clv.FIT_TYPES)
