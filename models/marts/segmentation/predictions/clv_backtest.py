"""Can the purchase model be trusted on this shop's data? BG/NBD refitted as of the calibration date
C = D - holdout days (seed clv_backtest_holdout_days, or the dbt var of that name), each calibration buyer's
purchase days in (C, D] predicted, and compared with what happened, by decile of the prediction.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from livetier import clv

    thresholds = dbt.ref("int_thresholds_current").df()
    calibration = dbt.ref("int_clv_backtest_summarized").df()
    min_buyers, min_repeat = clv.seed_values(thresholds, "clv_min_buyers", "clv_min_repeat_buyers")
    fit, deciles = clv.backtest(calibration, int(min_buyers), int(min_repeat))
    first = calibration.iloc[0] if len(calibration) else None
    if not fit.ok:
        clv.warn(f"clv_backtest: no BG/NBD fit at the calibration date ({fit.status}): {fit.message}; "
                 "the backtest is empty")
    deciles["calibration_date"] = first["calibration_date"] if first is not None else None
    deciles["as_of_date"] = first["as_of_date"] if first is not None else None
    deciles["holdout_days"] = first["holdout_days"] if first is not None else None
    for name in clv.BG_NBD_PARAMETERS:
        deciles[name] = fit.params.get(name)
    return clv.typed(session, deciles, clv.BACKTEST_TYPES)
