"""The hardening scenarios: each runner returns what it tried and what happened.

The tests (``tests/test_hardening_*.py``) assert on these results and ``bench/robustness.py`` prints them, so the
figures in the README come from the same scenarios the suite checks every time.
"""
