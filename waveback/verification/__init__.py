"""Verification: an independent taped reverse pass, analytic solutions and the check matrix.

:mod:`.autodiff` replays the forward time loop on a tape and differentiates it in reverse
without the hand-written adjoint; :mod:`.analytic` holds closed-form references; :mod:`.checks`
runs the dot-product, tape, Born-consistency and Taylor tests behind ``waveback check``. Built
on :mod:`waveback.physics` only.
"""
