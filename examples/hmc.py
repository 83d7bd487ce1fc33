#!/usr/bin/env python
"""The Theano tutorial's Hybrid Monte Carlo sampler, sampling a correlated 2-D Gaussian.

Written as in the deeplearning.net tutorial: ``hmc_move`` draws a velocity
from a ``RandomStreams``, ``simulate_dynamics`` runs the leapfrog integrator
with ``scan`` (the gradient of the energy is taken inside the loop body),
``metropolis_hastings_accept`` draws a uniform number per chain to accept or
reject, and ``hmc_updates`` returns the updates of the shared state: the
positions, a step size adapted towards a target acceptance rate, and the
running acceptance rate. One compiled function with no inputs and no outputs
advances every chain by one HMC step; the random streams advance through
their default updates.

The program prints the target and the empirical mean and covariance of the
samples, which agree.

Run: ``python examples/hmc.py`` (a few seconds; ``SYMGRAPH_EXAMPLE_STEPS``
sets the number of draws after burn-in).
"""

import os
import time

import numpy

import symgraph as theano
import symgraph.tensor as TT
from symgraph import function, shared

DRAWS = int(os.environ.get("SYMGRAPH_EXAMPLE_STEPS", 2000))


def sharedX(value, name):
    return shared(numpy.asarray(value, dtype=theano.config.floatX), name=name)


def kinetic_energy(vel):
    """Kinetic energy of unit masses, one entry per row of ``vel``."""
    return 0.5 * (vel**2).sum(axis=1)


def hamiltonian(pos, vel, energy_fn):
    """Potential plus kinetic energy, one entry per chain."""
    return energy_fn(pos) + kinetic_energy(vel)


def metropolis_hastings_accept(energy_prev, energy_next, s_rng):
    """Accept each chain's proposal with probability ``min(1, exp(energy_prev - energy_next))``."""
    ediff = energy_prev - energy_next
    return (TT.exp(ediff) - s_rng.uniform(size=energy_prev.shape)) >= 0


def simulate_dynamics(initial_pos, initial_vel, stepsize, n_steps, energy_fn):
    """Final (position, velocity) after ``n_steps`` leapfrog steps of Hamiltonian dynamics."""

    def leapfrog(pos, vel, step):
        # vel holds v(t - step/2): a full step of velocity, then of position
        dE_dpos = TT.grad(energy_fn(pos).sum(), pos)
        new_vel = vel - step * dE_dpos
        new_pos = pos + step * new_vel
        return [new_pos, new_vel], {}

    # a half step of velocity, then a full step of position, starts the leapfrog
    initial_energy = energy_fn(initial_pos)
    dE_dpos = TT.grad(initial_energy.sum(), initial_pos)
    vel_half_step = initial_vel - 0.5 * stepsize * dE_dpos
    pos_full_step = initial_pos + stepsize * vel_half_step

    (all_pos, all_vel), scan_updates = theano.scan(
        leapfrog,
        outputs_info=[dict(initial=pos_full_step), dict(initial=vel_half_step)],
        non_sequences=[stepsize],
        n_steps=n_steps - 1,
    )
    # the loop draws nothing, so it has no generator to advance
    assert not scan_updates
    final_pos = all_pos[-1]
    final_vel = all_vel[-1]
    # a last half step brings the velocity level with the position
    energy = energy_fn(final_pos)
    final_vel = final_vel - 0.5 * stepsize * TT.grad(energy.sum(), final_pos)
    return final_pos, final_vel


def hmc_move(s_rng, positions, energy_fn, stepsize, n_steps):
    """One HMC step: a random velocity, the dynamics, then accept or reject per chain."""
    initial_vel = s_rng.normal(size=positions.shape)
    final_pos, final_vel = simulate_dynamics(
        initial_pos=positions,
        initial_vel=initial_vel,
        stepsize=stepsize,
        n_steps=n_steps,
        energy_fn=energy_fn,
    )
    accept = metropolis_hastings_accept(
        energy_prev=hamiltonian(positions, initial_vel, energy_fn),
        energy_next=hamiltonian(final_pos, final_vel, energy_fn),
        s_rng=s_rng,
    )
    return accept, final_pos


def hmc_updates(
    positions,
    stepsize,
    avg_acceptance_rate,
    final_pos,
    accept,
    target_acceptance_rate,
    stepsize_inc,
    stepsize_dec,
    stepsize_min,
    stepsize_max,
    avg_acceptance_slowness,
):
    """Updates of the positions (accepted moves), the step size and the acceptance rate."""
    accept_matrix = accept.dimshuffle(0, *(("x",) * (final_pos.ndim - 1)))
    new_positions = TT.switch(accept_matrix, final_pos, positions)
    # too few acceptances: smaller steps; too many: larger ones
    _new_stepsize = TT.switch(
        avg_acceptance_rate > target_acceptance_rate,
        stepsize * stepsize_inc,
        stepsize * stepsize_dec,
    )
    new_stepsize = TT.clip(_new_stepsize, stepsize_min, stepsize_max)
    new_acceptance_rate = TT.add(
        avg_acceptance_slowness * avg_acceptance_rate,
        (1.0 - avg_acceptance_slowness) * accept.mean(dtype=avg_acceptance_rate.dtype),
    )
    return [
        (positions, new_positions),
        (stepsize, new_stepsize),
        (avg_acceptance_rate, new_acceptance_rate),
    ]


class HMC_sampler:  # noqa: N801 (the tutorial's name)
    """The compiled ``simulate`` function and the shared state it advances."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    @classmethod
    def new_from_shared_positions(
        cls,
        shared_positions,
        energy_fn,
        initial_stepsize=0.01,
        target_acceptance_rate=0.9,
        n_steps=20,
        stepsize_dec=0.98,
        stepsize_min=0.001,
        stepsize_max=0.25,
        stepsize_inc=1.02,
        avg_acceptance_slowness=0.9,
        seed=12345,
    ):
        stepsize = sharedX(initial_stepsize, "hmc_stepsize")
        avg_acceptance_rate = sharedX(target_acceptance_rate, "avg_acceptance_rate")
        s_rng = TT.shared_randomstreams.RandomStreams(seed)
        accept, final_pos = hmc_move(s_rng, shared_positions, energy_fn, stepsize, n_steps)
        simulate_updates = hmc_updates(
            shared_positions,
            stepsize,
            avg_acceptance_rate,
            final_pos=final_pos,
            accept=accept,
            stepsize_min=stepsize_min,
            stepsize_max=stepsize_max,
            stepsize_inc=stepsize_inc,
            stepsize_dec=stepsize_dec,
            target_acceptance_rate=target_acceptance_rate,
            avg_acceptance_slowness=avg_acceptance_slowness,
        )
        simulate = function([], [], updates=simulate_updates)
        return cls(
            positions=shared_positions,
            stepsize=stepsize,
            stepsize_min=stepsize_min,
            stepsize_max=stepsize_max,
            avg_acceptance_rate=avg_acceptance_rate,
            target_acceptance_rate=target_acceptance_rate,
            s_rng=s_rng,
            _updates=simulate_updates,
            simulate=simulate,
        )

    def draw(self, **kwargs):
        """Advance every chain by one HMC step; return the new positions."""
        self.simulate()
        return self.positions.get_value(borrow=False)


def sample_gaussian(mu, cov, chains=200, burnin=200, draws=DRAWS):
    """Samples of N(mu, cov) from ``chains`` HMC chains, after ``burnin`` draws."""
    cov_inv = numpy.linalg.inv(cov)

    def gaussian_energy(x):
        return 0.5 * (TT.dot(x - mu, cov_inv) * (x - mu)).sum(axis=1)

    rng = numpy.random.RandomState(123)
    position = shared(rng.randn(chains, len(mu)).astype(theano.config.floatX))
    sampler = HMC_sampler.new_from_shared_positions(
        position, gaussian_energy, initial_stepsize=1e-3, stepsize_max=0.5
    )
    for _ in range(burnin):
        sampler.draw()
    samples = numpy.asarray([sampler.draw() for _ in range(draws)])
    return sampler, samples.reshape(-1, len(mu))


if __name__ == "__main__":
    mu = numpy.array([1.0, -2.0])
    cov = numpy.array([[1.0, 0.8], [0.8, 2.0]])
    start = time.perf_counter()
    sampler, samples = sample_gaussian(mu, cov)
    elapsed = time.perf_counter() - start
    numpy.set_printoptions(precision=3, suppress=True)
    print("target mean:", mu)
    print("empirical mean:", samples.mean(axis=0))
    print("target cov:", cov.ravel())
    print("empirical cov:", numpy.cov(samples.T).ravel())
    print(f"final stepsize: {float(sampler.stepsize.get_value()):.4f}")
    print(f"final acceptance rate: {float(sampler.avg_acceptance_rate.get_value()):.3f}")
    print(f"sampling: {len(samples)} samples in {elapsed:.2f} s")
