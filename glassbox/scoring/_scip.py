"""One SCIP branch-and-bound for RiskSLIM: lattice cutting planes through a constraint handler.

The MINLP ``min loss(lam) + c0 * sum(alpha)`` is written as a MILP in which the
logistic loss is a single variable ``v``. The constraint ``v >= loss(lam)`` is known to
SCIP only through :class:`_LossCuts`: whenever a candidate point has ``v`` below the
true (convex) loss, the handler adds the tangent plane
``v >= loss(p) + grad(p) . (lam - p)`` at that point, which every feasible point obeys.
Heuristics (:class:`_RoundAndPolish`) turn LP solutions into integer score cards.
pyscipopt is imported by the caller and passed in, so importing this module is cheap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

# Cuts are tight at the point they are made at, so a point is accepted once v is this
# close to the true loss. It must exceed SCIP's feasibility tolerance (set below) or
# the same cut would be separated forever.
LOSS_TOLERANCE = 1e-8
SCIP_FEASTOL = 1e-9
POLISH_TOLERANCE = 0.1

_STATUS = {"optimal": "optimal", "gaplimit": "gap_limit", "timelimit": "time_limit",
           "userinterrupt": "interrupted", "nodelimit": "node_limit",
           "totalnodelimit": "node_limit", "stallnodelimit": "node_limit",
           "memlimit": "memory_limit", "infeasible": "optimal"}


@dataclass
class SolveResult:
    coefficients: np.ndarray  # int, intercept first
    objective: float
    lower_bound: float
    status: str
    nodes: int


class _Incumbent:
    """Best score card known to the Python side (warm starts and heuristics)."""

    def __init__(self, problem):
        self.problem = problem
        self.lam = None
        self.objective = np.inf

    def offer(self, lam) -> bool:
        lam = np.asarray(lam, dtype=np.int64)
        if not self.problem.is_feasible(lam):
            return False
        objective = self.problem.objective(lam)
        if objective < self.objective - 1e-12:
            self.lam, self.objective = lam.copy(), objective
            return True
        return False


def best_of(problem, candidates, *, status) -> SolveResult:
    """The best feasible candidate, bounded only by the smallest possible loss."""
    incumbent = _Incumbent(problem)
    for lam in [*candidates, np.zeros(problem.n_coefs, dtype=np.int64)]:
        incumbent.offer(lam)
    lower = min(problem.loss_bounds()[0], incumbent.objective)
    return SolveResult(incumbent.lam, incumbent.objective, lower, status, 0)


def _make_handler_classes(scip):
    """The constraint handler and heuristic, as subclasses of pyscipopt's base classes."""
    R = scip.SCIP_RESULT

    class _LossCuts(scip.Conshdlr):
        """Enforces ``v >= loss(lam)`` with tangent cuts at integral and fractional LP points."""

        def __init__(self, problem, lam_vars, loss_var, *, cut_depth=None, recorder=None):
            self.problem = problem
            self.lam_vars = lam_vars
            self.loss_var = loss_var
            self.cut_depth = cut_depth  # fractional points are cut down to this depth
            self.recorder = recorder  # enumeration mode: collects points, accepts none
            self._transformed = None
            self.n_cuts = 0

        def _tvars(self):
            if self._transformed is None:
                get = self.model.getTransformedVar
                self._transformed = ([get(x) for x in self.lam_vars], get(self.loss_var))
            return self._transformed

        def _point(self, sol):
            # the LP holds transformed variables; original ones read 0 there
            transformed = self.model.getStage() >= scip.SCIP_STAGE.TRANSFORMED
            lam_vars, loss_var = self._tvars() if transformed else (self.lam_vars, self.loss_var)
            values = np.array([self.model.getSolVal(sol, x) for x in lam_vars])
            return values, self.model.getSolVal(sol, loss_var)

        def _add_cut(self, lam, loss, gradient) -> bool:
            """Add the tangent plane at lam; True when it makes the node infeasible."""
            lam_t, loss_t = self._tvars()
            row = self.model.createEmptyRowUnspec(name=f"loss_cut_{self.n_cuts}",
                                                  lhs=loss - float(gradient @ lam), rhs=None,
                                                  local=False, removable=True)
            self.model.cacheRowExtensions(row)
            self.model.addVarToRow(row, loss_t, 1.0)
            for var, g in zip(lam_t, gradient):
                if g != 0.0:
                    self.model.addVarToRow(row, var, -float(g))
            self.model.flushRowExtensions(row)
            infeasible = self.model.addCut(row, forcecut=True)
            self.model.releaseRow(row)
            self.n_cuts += 1
            return infeasible

        def _separate(self, sol=None):
            lam, v = self._point(sol)
            loss, gradient = self.problem.loss_and_gradient(lam)
            if v >= loss - LOSS_TOLERANCE:
                return None
            return R.CUTOFF if self._add_cut(lam, loss, gradient) else R.SEPARATED

        def _all_fixed(self):
            lam_t, _ = self._tvars()
            return all(x.getLbLocal() == x.getUbLocal() for x in lam_t)

        def conssepalp(self, constraints, nusefulconss):
            if self.cut_depth is not None and self.model.getDepth() > self.cut_depth:
                return {"result": R.DIDNOTRUN}
            return {"result": self._separate() or R.DIDNOTFIND}

        def consenfolp(self, constraints, nusefulconss, solinfeasible):
            result = self._separate()
            if result is not None:
                return {"result": result}
            if self.recorder is not None:
                return {"result": self._record_and_branch()}
            return {"result": R.FEASIBLE}

        def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
            lam, v = self._point(None)
            loss = self.problem.loss(lam)
            violated = v < loss - LOSS_TOLERANCE
            if not self._all_fixed():
                return {"result": R.INFEASIBLE if violated or self.recorder else R.FEASIBLE}
            if violated:  # every lam is fixed here, so the loss is known exactly
                _, loss_t = self._tvars()
                self.model.chgVarLb(loss_t, loss)
                return {"result": R.REDUCEDDOM}
            if self.recorder is not None:
                self.recorder(np.rint(lam).astype(np.int64))
                return {"result": R.CUTOFF}
            return {"result": R.FEASIBLE}

        def conscheck(self, constraints, solution, checkintegrality, checklprows,
                      printreason, completely):
            if self.recorder is not None:  # enumeration accepts no incumbent
                return {"result": R.INFEASIBLE}
            lam, v = self._point(solution)
            feasible = v >= self.problem.loss(lam) - LOSS_TOLERANCE
            return {"result": R.FEASIBLE if feasible else R.INFEASIBLE}

        def conslock(self, constraint, locktype, nlockspos, nlocksneg):
            if constraint.isOriginal():
                lam_vars, loss_var = self.lam_vars, self.loss_var
            else:
                lam_vars, loss_var = self._tvars()
            # lowering v can violate v >= loss(lam); moving lam either way can too
            self.model.addVarLocksType(loss_var, locktype, nlockspos, nlocksneg)
            both = nlockspos + nlocksneg
            for var in lam_vars:
                self.model.addVarLocksType(var, locktype, both, both)

        def _record_and_branch(self):
            """Enumeration: remember an integral LP point, then branch it out of the node."""
            lam, _ = self._point(None)
            point = np.rint(lam).astype(np.int64)
            self.recorder(point)
            lam_t, _ = self._tvars()
            for j, var in enumerate(lam_t):
                lb, ub = round(var.getLbLocal()), round(var.getUbLocal())
                if lb == ub:
                    continue
                value = int(point[j])
                pieces = [(lb, value - 1), (value + 1, ub), (value, value)]
                estimate = self.model.getLocalEstimate()
                for lo, hi in pieces:
                    if lo > hi:
                        continue
                    child = self.model.createChild(0.0, estimate)
                    if lo > lb:
                        self.model.chgVarLbNode(child, var, lo)
                    if hi < ub:
                        self.model.chgVarUbNode(child, var, hi)
                return R.BRANCHED
            return R.CUTOFF  # every lam is fixed at the recorded point

    class _RoundAndPolish(scip.Heur):
        """Round the node's LP solution, polish it by coordinate descent, offer it to SCIP."""

        def __init__(self, problem, incumbent, submit):
            self.problem = problem
            self.incumbent = incumbent
            self.submit = submit
            self.seen = set()

        def heurexec(self, heurtiming, nodeinfeasible):
            if self.model.getLPSolstat() != scip.SCIP_LPSOLSTAT.OPTIMAL:
                return {"result": R.DIDNOTRUN}
            lam_real = np.array([self.model.getSolVal(None, self.model.getTransformedVar(x))
                                 for x in self.submit.lam_vars])
            start = self.problem.round(lam_real)
            key = start.tobytes()
            if key in self.seen:
                return {"result": R.DIDNOTFIND}
            self.seen.add(key)
            # polishing costs far more than rounding: spend it only on promising points
            # (RiskSLIM's polishing tolerance)
            if self.problem.objective(start) > (1.0 + POLISH_TOLERANCE) * self.incumbent.objective:
                return {"result": R.DIDNOTFIND}
            lam = self.problem.polish(start)
            if self.incumbent.offer(lam) and self.submit(lam, heur=self):
                return {"result": R.FOUNDSOL}
            return {"result": R.DIDNOTFIND}

    return _LossCuts, _RoundAndPolish


class _Submitter:
    """Writes an integer score card as a complete SCIP solution and tries it."""

    def __init__(self, model, problem, lam_vars, use_vars, loss_var):
        self.model, self.problem = model, problem
        self.lam_vars, self.use_vars, self.loss_var = lam_vars, use_vars, loss_var

    def __call__(self, lam, heur=None, *, before_solve=False) -> bool:
        sol = self.model.createSol(heur)
        for var, value in zip(self.lam_vars, lam):
            self.model.setSolVal(sol, var, float(value))
        for var, value in zip(self.use_vars, lam[1:]):
            self.model.setSolVal(sol, var, float(value != 0))
        self.model.setSolVal(sol, self.loss_var, self.problem.loss(lam))
        if before_solve:  # trySol is not allowed while the problem is being built
            return bool(self.model.addSol(sol))
        return bool(self.model.trySol(sol, printreason=False))


def _build(scip, problem, *, loss_upper, verbose, seed):
    model = scip.Model("riskslim")
    model.hideOutput(not verbose)
    d = problem.n_coefs - 1
    lam = [model.addVar(f"lam_{j}", vtype="I", lb=int(problem.lower[j]), ub=int(problem.upper[j]))
           for j in range(d + 1)]
    use = [model.addVar(f"use_{j}", vtype="B") for j in range(1, d + 1)]
    for j in range(d):
        model.addCons(lam[j + 1] <= int(problem.upper[j + 1]) * use[j])
        model.addCons(lam[j + 1] >= int(problem.lower[j + 1]) * use[j])
    model.addCons(scip.quicksum(use) <= problem.max_features)
    for idx, k in problem.groups:
        model.addCons(scip.quicksum(use[i] for i in idx) <= k)
    loss_min, loss_max = problem.loss_bounds()
    loss = model.addVar("loss", vtype="C", lb=loss_min, ub=max(loss_min, min(loss_max, loss_upper)))
    model.setObjective(loss + problem.c0 * scip.quicksum(use), "minimize")
    model.setParam("numerics/feastol", SCIP_FEASTOL)
    model.setParam("presolving/maxrestarts", 0)  # keep the handler's variables for the whole run
    model.setParam("randomization/randomseedshift", int(seed))
    return model, lam, use, loss


def _add_initial_cuts(scip, model, problem, lam, loss, points):
    """Tangent planes at a few points, as ordinary linear rows of the first LP."""
    for k, point in enumerate(points):
        value, gradient = problem.loss_and_gradient(point)
        model.addCons(loss - scip.quicksum(float(g) * x for g, x in zip(gradient, lam))
                      >= value - float(gradient @ point), name=f"initial_cut_{k}")


def _chained_l0_bound(problem, objective_upper) -> int:
    """Features an optimal card can afford: c0 * L0 <= upper objective - smallest loss."""
    if problem.c0 <= 0:
        return problem.max_features
    loss_min, _ = problem.loss_bounds()
    return int(np.floor((objective_upper - loss_min) / problem.c0 + 1e-9))


def _install_loss_handler(model, handler) -> None:
    """Make ``handler`` the constraint that keeps the loss variable above the true loss."""
    model.includeConshdlr(handler, "riskslim_loss", "logistic loss by lattice cutting planes",
                          sepapriority=1, enfopriority=-1, chckpriority=-1, sepafreq=1,
                          needscons=True)
    model.addPyCons(model.createCons(handler, "loss", initial=True, separate=True, enforce=True,
                                     check=True, propagate=False))


def solve(scip, problem, *, warm_starts, cut_points=(), time_limit=None, gap_tolerance=0.0,
          verbose=0, seed=0, cut_depth=None, heuristic_frequency=1,
          objective_limit=None) -> SolveResult:
    """Minimize the RiskSLIM objective; the best of ``warm_starts`` is the first incumbent.

    With ``objective_limit`` SCIP only looks for cards below it: status ``"optimal"``
    then means that none below the limit was missed (the returned card may be a warm
    start above it).
    """
    start_time = time.perf_counter()
    _LossCuts, _RoundAndPolish = _make_handler_classes(scip)
    incumbent = _Incumbent(problem)
    for lam in warm_starts:
        incumbent.offer(lam)
    if incumbent.lam is None:
        incumbent.offer(np.zeros(problem.n_coefs, dtype=np.int64))
    model, lam_vars, use_vars, loss_var = _build(
        scip, problem, loss_upper=incumbent.objective, verbose=verbose, seed=seed)
    l0_bound = _chained_l0_bound(problem, incumbent.objective)
    if l0_bound < problem.max_features:  # only worth a row when it is tighter
        model.addCons(scip.quicksum(use_vars) <= l0_bound, name="chained_l0")
    _add_initial_cuts(scip, model, problem, lam_vars, loss_var,
                      [incumbent.lam.astype(float), *cut_points])
    handler = _LossCuts(problem, lam_vars, loss_var, cut_depth=cut_depth)
    _install_loss_handler(model, handler)
    submit = _Submitter(model, problem, lam_vars, use_vars, loss_var)
    model.includeHeur(_RoundAndPolish(problem, incumbent, submit), "riskslim_round",
                      "sequential rounding + discrete coordinate descent", "Y",
                      priority=100000, freq=heuristic_frequency, freqofs=0, maxdepth=-1,
                      timingmask=scip.SCIP_HEURTIMING.AFTERLPNODE)
    submit(incumbent.lam, before_solve=True)
    remaining = None if time_limit is None else time_limit - (time.perf_counter() - start_time)
    if remaining is not None:
        model.setParam("limits/time", max(remaining, 0.01))
    model.setParam("limits/gap", float(gap_tolerance))
    if objective_limit is not None:
        model.setObjlimit(float(objective_limit))
    model.optimize()
    status = _STATUS.get(model.getStatus(), "interrupted")
    best = model.getBestSol()
    if best is not None:
        incumbent.offer(np.rint([model.getSolVal(best, x) for x in lam_vars]))
    # before SCIP's first LP its dual bound is -infinity; the loss bound is always valid
    lower = min(max(float(model.getDualbound()), problem.loss_bounds()[0]), incumbent.objective)
    return SolveResult(incumbent.lam, incumbent.objective, lower, status,
                       int(model.getNTotalNodes()))


def enumerate_points(scip, problem, objective_bound, *, max_models=1000, time_limit=None,
                     cut_points=(), verbose=0, seed=0):
    """All integer score cards with objective <= ``objective_bound``.

    SCIP explores the lattice with the loss handler in recording mode: every integral LP
    point is stored (when within the bound) and then branched out of its node, so the
    tree covers each lattice point at most once; the objective limit prunes the rest.
    Returns ``(list of (objective, lam), status)``.
    """
    _LossCuts, _ = _make_handler_classes(scip)
    found: dict[bytes, tuple[float, np.ndarray]] = {}
    model, lam_vars, use_vars, loss_var = _build(
        scip, problem, loss_upper=objective_bound, verbose=verbose, seed=seed)

    def record(point):
        if problem.is_feasible(point):
            objective = problem.objective(point)
            if objective <= objective_bound + 1e-12:
                found.setdefault(point.tobytes(), (objective, point.copy()))
                if len(found) >= max_models:
                    model.interruptSolve()

    _add_initial_cuts(scip, model, problem, lam_vars, loss_var, list(cut_points))
    handler = _LossCuts(problem, lam_vars, loss_var, recorder=record)
    _install_loss_handler(model, handler)
    model.setHeuristics(scip.SCIP_PARAMSETTING.OFF)
    model.setParam("limits/time", time_limit or 1e20)
    model.setObjlimit(objective_bound + 1e-9)
    model.optimize()
    status = _STATUS.get(model.getStatus(), "interrupted")
    if len(found) >= max_models:
        status = "node_limit"
    return sorted(found.values(), key=lambda item: (item[0], item[1].tolist())), status
