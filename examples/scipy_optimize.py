#!/usr/bin/env python
"""scipy.optimize driven by compiled symbolic costs, gradients and Hessian-vector products.

The seed's tour of ``scipy.optimize`` minimizes ``x**2 - 4x + 8`` with
``fmin``, ``fmin_bfgs`` and friends, passing only the cost. Here symgraph
supplies exact derivatives: ``T.grad`` for the gradient and
``theano.gradient.Rop`` for the Hessian-vector product that Newton-CG needs.
``check_grad`` compares each compiled gradient with finite differences.

Needs SciPy (``pip install "symgraph[examples]"``).
Run: ``python examples/scipy_optimize.py``
"""

import numpy as np
from scipy.optimize import check_grad, fmin, fmin_bfgs, minimize, rosen, rosen_der, rosen_hess_prod

import symgraph as theano
import symgraph.tensor as T


def compile_objective(cost, x):
    """Cost, gradient and Hessian-vector product of ``cost`` in ``x``, as NumPy functions."""
    v = T.dvector("v")
    g = T.grad(cost, x)
    hv = theano.gradient.Rop(g, x, v)
    return theano.function([x], cost), theano.function([x], g), theano.function([x, v], hv)


# -- the seed's problem: f(x) = x**2 - 4x + 8, smallest value 4 at x = 2 ------------------------
x = T.dvector("x")
f, fprime, fhessp = compile_objective((x**2 - 4 * x + 8).sum(), x)
x0 = np.array([1.3])

print("fmin (Nelder-Mead, cost only):")
xopt1 = fmin(f, x0)
print(xopt1)
print("fmin_bfgs with the compiled gradient:")
xopt2 = fmin_bfgs(f, x0, fprime=fprime)
print(xopt2)
print("minimize(method='Newton-CG') with jac and hessp:")
result = minimize(f, x0, method="Newton-CG", jac=fprime, hessp=fhessp)
print(result.x, result.message)
print(f"check_grad at x0: {check_grad(f, fprime, x0):.3e}")

# -- the Rosenbrock function, smallest value 0 at (1, 1) -----------------------------------------
z = T.dvector("z")
rosenbrock = (100 * (z[1:] - z[:-1] ** 2) ** 2 + (1 - z[:-1]) ** 2).sum()
r, rprime, rhessp = compile_objective(rosenbrock, z)
z0 = np.array([-1.2, 1.0])
probe, direction = np.array([0.3, -0.7]), np.array([1.5, 2.0])
print()
print("Rosenbrock, compiled vs scipy.optimize's hand-written rosen, rosen_der, rosen_hess_prod:")
print(f"  cost     {abs(r(probe) - rosen(probe)):.3e}")
print(f"  gradient {np.max(np.abs(rprime(probe) - rosen_der(probe))):.3e}")
hessp_error = np.abs(rhessp(probe, direction) - rosen_hess_prod(probe, direction))
print(f"  hessp    {np.max(hessp_error):.3e}")
print(f"check_grad at z0: {check_grad(r, rprime, z0):.3e}")

print("fmin:")
print(fmin(r, z0, xtol=1e-8, ftol=1e-10, disp=False))
print("fmin_bfgs:")
print(fmin_bfgs(r, z0, fprime=rprime, gtol=1e-8, disp=False))
result = minimize(r, z0, method="Newton-CG", jac=rprime, hessp=rhessp, options={"xtol": 1e-10})
print(f"Newton-CG: {result.x} in {result.nit} iterations, {result.nfev} cost evaluations")
