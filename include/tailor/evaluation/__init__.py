"""Evaluation maths: scores, confidence intervals, judge calibration and regressions."""
