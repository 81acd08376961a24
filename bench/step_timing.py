"""What the step benchmarks share. The PyTorch peers (torch_train_step.py, torch_prior_step.py): timing a step
function after its warm-up, each step alone, and printing the result as one JSON line (and writing it to --json).
The tables of run_train_step.sh and run_prior_step.sh: the median JMH iteration.

Each step is timed alone as well as the whole loop: on a shared machine a neighbour's burst lands in a few steps,
and the median step is what the model costs; with steps that only queue work (a GPU, metrics read every N steps)
only the mean means much.

Only for the comparisons: the project itself never needs Python.
"""
import json
import statistics
import time


def time_steps(step, warmup, steps, settle=lambda: None, finish=lambda: None):
    """Runs warmup steps and settle(), then steps steps each timed alone, and finish() inside the loop's time.

    Returns (median ms per step, mean ms per step)."""
    for _ in range(warmup):
        step()
    settle()
    times = []
    t0 = time.perf_counter()
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    finish()
    mean_ms = (time.perf_counter() - t0) / steps * 1e3
    return statistics.median(times) * 1e3, mean_ms


def report(result, path=None):
    """Prints the result as one JSON line; also writes it to path when given."""
    print(json.dumps(result))
    if path:
        with open(path, "w") as f:
            json.dump(result, f)


def jmh_median(path):
    """The median JMH iteration of the first benchmark in a JMH JSON file, and the middle half's bounds (q1, q3):
    a neighbour's burst on a shared machine spoils a few iterations, which the mean would carry."""
    with open(path) as f:
        metric = json.load(f)[0]["primaryMetric"]
    its = sorted(x for fork in metric["rawData"] for x in fork)
    return statistics.median(its), its[len(its) // 4], its[(3 * len(its)) // 4]
