"""Planted bug: group norm's dbeta averaged over the batch instead of summed."""

from group_norm_ok import group_norm_backward as _correct
from group_norm_ok import group_norm_forward  # noqa: F401


def group_norm_backward(dout, x, gamma, beta, num_groups, eps):
    dx, dgamma, _ = _correct(dout, x, gamma, beta, num_groups, eps)
    return dx, dgamma, dout.mean(axis=0).sum(axis=(1, 2))  # BUG: a mean over n
