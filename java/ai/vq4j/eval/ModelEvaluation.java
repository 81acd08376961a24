package ai.vq4j.eval;

/** What a run reports of its model at the end: a test-set evaluation that people read as a few lines. */
public interface ModelEvaluation {
  /** A few lines for people (also written to the run's eval.txt). */
  String summary();
}
