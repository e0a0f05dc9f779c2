"""Fits the f32 coefficients of kiln's exact gelu (crates/kiln-tensor/src/cpu/simd_math.rs:
ERF_P, ERFCX_P, ERFCX_Q) and checks the f32 evaluation against f64 references.

    ~/peers/bin/python tools/numerics/fit_gelu_erf.py

erf(u)/u = P(u^2) on [0, 1] (degree 6) and erfcx(a) = erfc(a) e^{a^2} = P(a)/Q(a) on
[0.44, 10.5] (degrees 4, 5), each by linearised least squares with Lawson reweighting
towards the minimax relative error. The check simulates the portable (unfused) f32 build.
"""
import numpy as np
from scipy.special import erf, erfc, erfcx

F = np.float32


def fit(t, f, dp, dq, iters=60):
    w = np.ones_like(t)
    q = np.ones_like(t)
    for _ in range(iters):
        cols = [np.vander(t, dp + 1, increasing=True)]
        if dq:
            cols.append(-(f[:, None] * np.vander(t, dq + 1, increasing=True)[:, 1:]))
        a = np.hstack(cols)
        wt = w / (f * q)
        sol, *_ = np.linalg.lstsq(a * wt[:, None], f * wt, rcond=None)
        p, qq = sol[: dp + 1], np.concatenate([[1.0], sol[dp + 1:]])
        q = np.polyval(qq[::-1], t)
        err = np.abs(np.polyval(p[::-1], t) / q / f - 1)
        w = w * (err / err.max()) ** 0.5 + 1e-4
        w /= w.mean()
    return p.astype(F), qq.astype(F), err.max()


def horner(c, t):
    r = np.full_like(t, c[-1])
    for k in c[-2::-1]:
        r = (r * t + k).astype(F)
    return r


def main():
    u = np.linspace(0, 1, 40001)[1:]
    erf_p, _, e1 = fit(u * u, erf(u) / u, 6, 0)
    a = np.linspace(0.44, 10.5, 80001)
    cx_p, cx_q, e2 = fit(a, erfcx(a), 4, 5)
    print("fit relative errors:", e1, e2)
    for name, c in [("ERF_P", erf_p), ("ERFCX_P", cx_p), ("ERFCX_Q", cx_q)]:
        print(name, [float(v) for v in c])
    x = np.linspace(-14, 14, 2800001).astype(F)
    u = (x * F(0.70710678)).astype(F)
    small = (F(0.5) + F(0.5) * (u * horner(erf_p, (u * u).astype(F)))).astype(F)
    xc = np.minimum(np.abs(x), F(20))
    hi = (xc * xc).astype(F)
    lo = (xc.astype(np.float64) ** 2 - hi).astype(F)  # the exact rounding error of hi
    ex = (np.exp((-hi * F(0.5)).astype(F)).astype(F) * (F(1) - lo * F(0.5))).astype(F)
    ac = np.minimum(np.abs(u), F(10.5))
    c = (ex * (horner(cx_p, ac) / horner(cx_q, ac))).astype(F)
    large = np.where(x < 0, F(0.5) * c, F(1) - F(0.5) * c).astype(F)
    phi = np.where((u > F(-0.45)) & (u < F(1)), small, large)
    gelu = (x * phi).astype(np.float64)
    xd = x.astype(np.float64)
    exact = xd * 0.5 * erfc(-xd / np.sqrt(2))
    ok = np.abs(exact) > 1e-30
    rel = np.abs(gelu[ok] - exact[ok]) / np.abs(exact[ok])
    print(f"gelu: max relative error {rel.max():.3g} at {x[ok][rel.argmax()]}, mean {rel.mean():.3g}")


if __name__ == "__main__":
    main()
