package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Sharded batchers: the ranks' batches, concatenated in rank order, are the batches of one process at W x B. */
class BatcherShardTest {
  /** 23 one-pixel images whose value is their index, labels too. */
  static Dataset indexed(int n) {
    float[] v = new float[n];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
      labels[i] = i;
    }
    return Dataset.ofFloat32("indexed", v, n, 1, 1, 1, labels, List.of());
  }

  @Test
  void shardsConcatenateToTheUnshardedGlobalBatchEveryEpoch() {
    Dataset data = indexed(23);
    Batcher whole = Batcher.builder(data, 6).seed(4).build();
    Batcher[] ranks = new Batcher[3];
    for (int r = 0; r < 3; r++) {
      ranks[r] = Batcher.builder(data, 2).seed(4).shard(r, 3).build();
      assertEquals(3, ranks[r].batchesPerEpoch(), "23 images make 3 global batches of 6");
    }
    for (int step = 0; step < 7; step++) {  // past two epoch boundaries
      float[] want = new float[6];
      whole.next(want, null);
      float[] got = new float[6];
      Set<Float> seen = new HashSet<>();
      for (int r = 0; r < 3; r++) {
        float[] part = new float[2];
        int[] labels = new int[2];
        assertEquals(2, ranks[r].next(part, labels));
        System.arraycopy(part, 0, got, 2 * r, 2);
        for (int k = 0; k < 2; k++) {
          assertEquals(part[k], labels[k], "labels travel with their images");
          assertTrue(seen.add(part[k]), "rank " + r + " repeats image " + part[k] + " of another rank");
        }
      }
      assertArrayEquals(want, got, "step " + step + ": " + Arrays.toString(got));
      assertEquals(whole.epoch(), ranks[0].epoch());
    }
  }

  @Test
  void badShardsAreRefused() {
    Dataset data = indexed(23);
    IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
        () -> Batcher.builder(data, 2).shard(3, 3));
    assertTrue(rank.getMessage().contains("shard: rank 3 is not in [0, 3)"), rank.getMessage());
    IllegalArgumentException partial = assertThrows(IllegalArgumentException.class,
        () -> Batcher.builder(data, 2).dropLast(false).shard(0, 2).build());
    assertTrue(partial.getMessage().contains("sharded over 2 ranks needs drop-last"), partial.getMessage());
    IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
        () -> Batcher.builder(data, 8).shard(0, 3).build());
    assertTrue(small.getMessage().contains("23 images make no full batch of 24 (3 ranks x 8)"), small.getMessage());
  }
}
