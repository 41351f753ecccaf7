"""Every check's verdict holds for every seed: quick mode over 20 seeds (issue: a user who changes
--seed must not get a spurious failure of a statement)."""

import os

import pytest

from verify.all import run_checks
from verify.registry import Context, all_checks

SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_quick_mode_passes_for_every_seed(seed, tmp_path):
    checks = [c for c in all_checks() if c.group == "theory"]
    results, _ = run_checks(checks, Context(quick=True, figures=False, seed=seed, out_dir=str(tmp_path)),
                            jobs=min(2, os.cpu_count() or 1))
    failed = {r["id"]: r["reason"] for r in results if r["status"] != "pass"}
    assert not failed, failed
