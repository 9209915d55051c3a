"""One row per buyer (a purchase by D): P(alive), expected purchase days in 30/90/365 days, expected order
value and the undiscounted 365-day CLV, from the parameters in clv_model_fit (null where a model has none).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from livetier import clv

    fit_table = dbt.ref("clv_model_fit").df()
    buyers = (dbt.ref("user_facts").filter("frequency is not null")
              .project('user_id, frequency, recency, "T", monetary_value, as_of_date').df())
    return clv.typed(session, clv.predictions(buyers, fit_table), clv.PREDICTION_TYPES)
