"""Honest acceptance: a group accepts an outcome iff its normalised utility is at or above its reservation.

The comparison allows ACCEPT_TOL, so an outcome whose utility equals the reservation up to float noise
(utilities and reservations are normalised by the same subtraction and division) is accepted. Every place
that asks "does this group's reward model accept x?" calls one of the two functions here.
"""

from __future__ import annotations

import numpy as np

#: u >= rho - ACCEPT_TOL counts as u >= rho.
ACCEPT_TOL = 1e-12


def accepts(utility: float, reservation: float) -> bool:
    """One group, one outcome."""
    return bool(utility >= reservation - ACCEPT_TOL)


def accepts_array(utilities: np.ndarray, reservations: np.ndarray | float) -> np.ndarray:
    """Vectorised :func:`accepts`: ``utilities`` (groups, ...) against ``reservations`` (groups,), or any two
    arrays that broadcast (a scalar reservation for one group's vector)."""
    u = np.asarray(utilities, dtype=np.float64)
    rho = np.asarray(reservations, dtype=np.float64)
    if rho.ndim == 1 and u.ndim > 1:
        rho = rho.reshape((-1,) + (1,) * (u.ndim - 1))
    return u >= rho - ACCEPT_TOL
