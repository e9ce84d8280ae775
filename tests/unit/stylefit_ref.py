"""stylefit_ref.py - an independent computation of the style-controlled Bradley-Terry fit, for
tests/unit/test_stylefit.c: the Chatbot Arena's method (FastChat rating_systems.py,
preprocess_for_style + fit_contextual_bt) written from its definition with numpy and scipy.

    /usr/bin/python3 tests/unit/stylefit_ref.py VOTES.csv

VOTES.csv rows: a,b,y,fa0,fa1,fa2,fa3,fb0,fb1,fb2,fb3 (model indices, outcome for a in {1, 0.5, 0},
the two answers' feature counts). Prints JSON: the centred natural-log strengths `theta`, the
coefficients `beta`, and their sandwich standard errors `se_theta` (of the centred thetas) and
`se_beta`, computed here from the analytic Hessian and scores.
"""

import json
import sys

import numpy as np
from scipy.optimize import minimize

REG = 0.5  # fit_contextual_bt's default
ALPHA = np.log(10.0)


def main():
    rows = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
    a, b, y = rows[:, 0].astype(int), rows[:, 1].astype(int), rows[:, 2]
    fa, fb = rows[:, 3:7], rows[:, 7:11]
    n = int(max(a.max(), b.max())) + 1
    diff = (fa - fb) / (fa + fb + 1.0)
    feats = (diff - diff.mean(axis=0)) / diff.std(axis=0)
    k = feats.shape[1]

    def loss(params):
        r, beta = params[:n], params[n:]
        logit = ALPHA * (r[a] - r[b]) + feats @ beta
        # log p = -log(1 + e^-x), log(1 - p) = -log(1 + e^x)
        nll = (y * np.logaddexp(0, -logit) + (1 - y) * np.logaddexp(0, logit)).sum()
        p = 1 / (1 + np.exp(-logit))
        err = y - p
        grad = REG * params
        np.add.at(grad, a, -ALPHA * err)
        np.add.at(grad, b, ALPHA * err)
        grad[n:] -= feats.T @ err
        return nll + REG / 2 * params @ params, grad

    res = minimize(loss, np.zeros(n + k), jac=True, method="L-BFGS-B",
                   options={"maxiter": 100000, "gtol": 1e-11, "ftol": 1e-15, "maxcor": 50})
    r, beta = res.x[:n], res.x[n:]
    theta = ALPHA * r

    # sandwich in the (theta, beta) parametrisation: rows x_v = (e_a - e_b, z_v)
    X = np.zeros((len(y), n + k))
    X[np.arange(len(y)), a] += 1
    X[np.arange(len(y)), b] -= 1
    X[:, n:] = feats
    eta = X @ np.concatenate([theta, beta])
    p = 1 / (1 + np.exp(-eta))
    pen = np.concatenate([np.full(n, REG / ALPHA ** 2), np.full(k, REG)])
    H = X.T @ (X * (p * (1 - p))[:, None]) + np.diag(pen)
    G = X.T @ (X * ((y - p) ** 2)[:, None])
    Hi = np.linalg.inv(H)
    C = Hi @ G @ Hi
    P = np.eye(n + k)
    P[:n, :n] -= 1.0 / n  # centring of the thetas (one component)
    C = P @ C @ P.T
    se = np.sqrt(np.diag(C))
    print(json.dumps({"theta": list(theta - theta.mean()), "beta": list(beta),
                      "se_theta": list(se[:n]), "se_beta": list(se[n:]),
                      "converged": bool(res.success)}))


if __name__ == "__main__":
    main()
