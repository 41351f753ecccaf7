import numpy as np
import pytest

from theory import positional as P
from theory import precision as Pr


def test_ulp_and_epsilon_of_every_format():
    assert Pr.ulp(1.0, "fp32") == 2.0 ** -23
    assert Pr.ulp(1.0, "bf16") == 2.0 ** -7
    assert Pr.ulp(1.0, "fp8_e4m3") == 2.0 ** -3
    assert Pr.ulp(1.0, "fp8_e5m2") == 2.0 ** -2
    assert Pr.ulp(0.75, "bf16") == 2.0 ** -8
    for dt in Pr.DTYPES:
        x = 1.0 + Pr.machine_epsilon(dt)
        assert Pr.round_to([x], dt)[0] == x  # the next number after 1 is representable
        assert Pr.round_to([1.0 + Pr.machine_epsilon(dt) / 4], dt)[0] == 1.0


def test_round_to_matches_ml_dtypes_neighbours():
    v = np.linspace(-3, 3, 1001)
    r = Pr.round_to(v, "bf16")
    assert np.all(np.abs(r - v) <= np.array([Pr.ulp(max(abs(x), 1e-30), "bf16") for x in v]) / 2 + 1e-300)


def test_rope_is_relative_and_does_not_decay():
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(2, 16))
    a = P.rope_rotate(q[None], [107]) @ P.rope_rotate(k[None], [100]).T
    b = P.rope_rotate(q[None], [7]) @ P.rope_rotate(k[None], [0]).T
    assert np.allclose(a, b)
    far = P.rope_logit_profile(q, q, np.arange(10**5, 10**5 + 20000))
    assert far.max() > 0.5 * (q @ q)  # no decay to 0 with distance


@pytest.mark.parametrize("call, name", [
    (lambda: Pr.numpy_dtype("fp4"), "dtype"),
    (lambda: Pr.ulp(float("nan"), "fp32"), "value"),
    (lambda: Pr.resolution_at_scale(0.0, "bf16"), "scale"),
    (lambda: P.sinusoidal_encoding([0, 1], 5), "d"),
    (lambda: P.alibi_slope(2, 2), "head"),
    (lambda: P.rope_rotate(np.ones((2, 4)), [0]), "positions"),
    (lambda: P.make_encoding("xpos"), "encoding"),
])
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()
