package ai.vq4j.train;

import java.util.List;

/**
 * The learning rate of each step: constant, or a linear warm-up from peak / warmup to peak over the first
 * warmup steps followed by a cosine decay from peak to floor at the last step (Loshchilov and Hutter 2017,
 * "SGDR", without restarts; the warm-up as in Goyal et al. 2017). Steps count from 1, as Adam's t does.
 *
 * <pre>
 *   rate(t) = peak * t / warmup                                                  for t &lt;= warmup
 *   rate(t) = floor + (peak - floor) * (1 + cos(pi * (t - warmup) / (total - warmup))) / 2   after
 * </pre>
 */
public record LearningRateSchedule(String kind, double peak, long warmup, long total, double floor) {
  /** The schedules a train config may name. */
  public static final List<String> KINDS = List.of("constant", "cosine");

  public LearningRateSchedule {
    if (!KINDS.contains(kind)) {
      throw new IllegalArgumentException("learning-rate schedule must be one of " + KINDS + ", got '" + kind + "'");
    }
    if (!(peak > 0) || Double.isInfinite(peak) || !(floor >= 0) || floor > peak) {
      throw new IllegalArgumentException("learning-rate schedule: need 0 <= floor <= peak, peak > 0 and finite; got"
          + " peak " + peak + ", floor " + floor);
    }
    if (warmup < 0 || total < 1 || kind.equals("cosine") && warmup >= total) {
      throw new IllegalArgumentException("learning-rate schedule: need 0 <= warm-up steps < total steps, got warm-up "
          + warmup + " of " + total);
    }
  }

  /** The same rate at every step. */
  public static LearningRateSchedule constant(double rate) {
    return new LearningRateSchedule("constant", rate, 0, 1, rate);
  }

  /** The rate of step t (1-based); steps past total keep the floor. */
  public double rate(long t) {
    if (kind.equals("constant")) {
      return peak;
    }
    if (t <= warmup) {
      return peak * Math.max(t, 1) / warmup;
    }
    double progress = Math.min(1.0, (double) (t - warmup) / (total - warmup));
    return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
}
