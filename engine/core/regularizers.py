"""Weight penalties on kernels (never biases), added to the mini-batch objective as Keras does.

L1's penalty λ·Σ|w| can be stepped three ways (`l1_rule`), and they train differently:

- subgradient (the default): λ·sign(w) joins the gradient, as in Keras and PyTorch; a weight
  jitters around zero but is almost never exactly 0;
- proximal: the optimizer steps on the data alone, then w ← sign(w)·max(|w| − α·λ, 0) (the
  soft threshold of proximal gradient descent / ISTA), so useless weights become exactly 0
  and may leave zero again;
- tfp: TensorFlow Playground's rule (src/nn.ts updateWeights): after the data step, a
  penalty half-step w ← w − α·λ·sign(w_before); a weight that half-step carries across zero is
  set to 0 and its link is dead for the rest of the run (no gradient, no update).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import PlaygroundError
from .i18n import N_, _
from .registry import Registry

REGULARIZERS: Registry[str] = Registry(N_("regularization"))
for _name, _words in (("none", N_("None")), ("l1", "L1"), ("l2", "L2")):
    REGULARIZERS.register(_name, _words)(_name)

#: How L1 steps (training.regularization.l1_rule); the formula each one follows.
L1_RULES = {
    "subgradient": N_("w ← w − α·(∂J/∂w + λ·sign(w)), as Keras and PyTorch: weights shrink towards 0 but are "
                      "almost never exactly 0"),
    "proximal": N_("after the optimizer's step on the data, w ← sign(w)·max(|w| − α·λ, 0) (soft threshold): "
                   "useless weights become exactly 0, sparse"),
    "tfp": N_("TensorFlow Playground's rule: after the data step, w ← w − α·λ·sign(w); a weight this carries "
              "across 0 is set to 0 and its link is dead for the rest of the run"),
}

FORMULAS = {
    "none": N_("no penalty"),
    "l1": "J += λ Σ|W|; " + L1_RULES["subgradient"],
    "l2": N_("J += λ Σ W²  (no ½, as Keras; shrinks all weights: small, spread)"),
}


def formula(kind: str, l1_rule: str = "subgradient") -> str:
    """The penalty's formula with the step rule in use (what a tooltip shows for the current setting)."""
    if kind == "l1":
        return "J += λ Σ|W|; " + L1_RULES[l1_rule]
    return FORMULAS[kind]


@dataclass
class Regularizer:
    """`kind` is none, l1 or l2; `rate` is λ; `l1_rule` how L1 steps (see the module). Mutable so
    the rate can change mid-run."""

    kind: str = "none"
    rate: float = 0.0
    l1_rule: str = "subgradient"

    def __post_init__(self) -> None:
        REGULARIZERS.get(self.kind)
        if self.l1_rule not in L1_RULES:
            raise PlaygroundError(_("the L1 rule must be one of {l1_rules}, got {l1_rule!r}").format(
                                      l1_rules=', '.join(L1_RULES), l1_rule=self.l1_rule))
        if not np.isfinite(self.rate) or self.rate < 0:
            raise PlaygroundError(_("regularization rate must be >= 0, got {rate}").format(rate=self.rate))

    @property
    def active(self) -> bool:
        return self.kind != "none" and self.rate > 0

    @property
    def kills_links(self) -> bool:
        """TFP's L1 rule: links it stopped at zero stay dead (even at rate 0, as in TFP)."""
        return self.kind == "l1" and self.l1_rule == "tfp"

    @property
    def in_gradient(self) -> bool:
        """Whether the penalty's derivative joins the gradient (L2, L1 by subgradient); the other
        L1 rules take their own step after the optimizer's."""
        return self.active and (self.kind == "l2" or self.l1_rule == "subgradient")

    def derivative(self) -> Regularizer:
        """The same penalty stepped by its derivative: what a gradient check differentiates,
        whatever the rule (the rule is how a step is taken, not what the objective is)."""
        return Regularizer(self.kind, self.rate)

    def penalty(self, kernels: np.ndarray) -> float:
        """λ Σ|W| or λ Σ W² over the (flat) kernel weights."""
        if not self.active:
            return 0.0
        if self.kind == "l1":
            return self.rate * float(np.sum(np.abs(kernels)))
        return self.rate * float(np.dot(kernels, kernels))

    def add_gradient(self, kernels: np.ndarray, grad: np.ndarray) -> None:
        """grad += d(penalty)/dW, in place, for the rules that step through the gradient:
        2λ·W (L2) or λ·sign(W) (L1 by subgradient; sign(0) = 0, as torch and TensorFlow)."""
        if not self.in_gradient:
            return
        if self.kind == "l1":
            grad += self.rate * np.sign(kernels)
        else:
            grad += (2.0 * self.rate) * kernels

    def before_step(self, grad: np.ndarray, dead: np.ndarray | None) -> None:
        """TFP rule: a dead link gets no gradient (nn.ts backProp skips it), in place."""
        if dead is not None and self.kills_links:
            grad[dead] = 0.0

    def after_step(
        self, before: np.ndarray, after: np.ndarray, lr: float, dead: np.ndarray | None = None
    ) -> np.ndarray | None:
        """The L1 rules' own step on the kernels, in place, once the optimizer has stepped on the
        data (`before`: the kernels before that step; `lr`: the rate it used). Returns the dead
        links (TFP rule), a new array when some died, else `dead` as given."""
        if self.kind != "l1":
            return dead
        if self.l1_rule == "proximal" and self.active:
            shrunk = np.abs(after) - lr * self.rate
            np.maximum(shrunk, 0.0, out=shrunk)
            np.copysign(shrunk, after, out=after)
        elif self.l1_rule == "tfp":
            if dead is not None:
                after[dead] = 0.0  # no update for a dead link, whatever the optimizer's state
            if self.active:
                stepped = after - (lr * self.rate) * np.sign(before)
                crossed = after * stepped < 0  # strictly across: nn.ts `link.weight * newLinkWeight < 0`
                stepped[crossed] = 0.0
                if dead is not None:  # nor a penalty step: a dead link typed to 0.5 had sign(before) = 1
                    stepped[dead] = 0.0
                after[...] = stepped
                if crossed.any():
                    dead = crossed if dead is None else dead | crossed
        return dead


def from_ng_lambda(lambda_ng: float, m: int) -> float:
    """Our L2 rate for the λ of Ng's course. His cost adds (λ/2m)·ΣW² to the mean loss over the m
    training examples; ours adds λ·ΣW² to each mini-batch's mean loss (no ½, no 1/m, as Keras),
    which on average over the mini-batches is the same objective when λ_ours = λ_Ng / (2m)."""
    return lambda_ng / (2 * m)
