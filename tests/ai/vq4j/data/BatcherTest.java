package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatcherTest {
  /** n images of 1x2x1 whose values are (i, i + 0.5) and whose label is i mod 7. */
  static Dataset indexed(int n) {
    float[] v = new float[2 * n];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      v[2 * i] = i;
      v[2 * i + 1] = i + 0.5f;
      labels[i] = i % 7;
    }
    return Dataset.ofFloat32("indexed", v, n, 1, 2, 1, labels, List.of());
  }

  /** The image indices of the next count batches, checking images and labels agree. */
  static List<Integer> take(Batcher b, int batches) {
    int bs = b.batchSize();
    float[] x = new float[bs * 2];
    int[] y = new int[bs];
    List<Integer> seen = new ArrayList<>();
    for (int k = 0; k < batches; k++) {
      int n = b.next(x, y);
      for (int j = 0; j < n; j++) {
        int i = (int) x[2 * j];
        assertEquals(i + 0.5f, x[2 * j + 1]);
        assertEquals(i % 7, y[j], "label travels with its image");
        seen.add(i);
      }
      for (int j = n; j < bs; j++) {
        assertEquals(0f, x[2 * j], "the rest of a partial batch is zero");
      }
    }
    return seen;
  }

  @Test
  void everyEpochIsAPermutationAndEpochsDiffer() {
    Batcher b = Batcher.builder(indexed(100), 32).seed(7).dropLast(false).build();
    assertEquals(4, b.batchesPerEpoch());
    List<Integer> first = take(b, 4);
    assertEquals(1, b.epoch());
    assertEquals(0, b.batchInEpoch());
    List<Integer> second = take(b, 4);
    for (List<Integer> epoch : List.of(first, second)) {
      int[] sorted = epoch.stream().mapToInt(Integer::intValue).sorted().toArray();
      int[] all = new int[100];
      Arrays.setAll(all, i -> i);
      assertArrayEquals(all, sorted, "each image exactly once per epoch");
    }
    assertNotEquals(first, second, "a new order every epoch");
    List<Integer> identity = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      identity.add(i);
    }
    assertNotEquals(identity, first, "shuffled");
  }

  @Test
  void sameSeedSameOrderOtherSeedOtherOrder() {
    List<Integer> a = take(Batcher.builder(indexed(100), 10).seed(42).build(), 25);
    List<Integer> b = take(Batcher.builder(indexed(100), 10).seed(42).build(), 25);
    List<Integer> c = take(Batcher.builder(indexed(100), 10).seed(43).build(), 25);
    assertEquals(a, b);
    assertNotEquals(a, c);
  }

  @Test
  void dropLastSkipsThePartialBatch() {
    Batcher b = Batcher.builder(indexed(100), 32).seed(1).build();
    assertEquals(3, b.batchesPerEpoch());
    List<Integer> epoch = take(b, 3);
    assertEquals(96, epoch.size());
    assertEquals(96, epoch.stream().distinct().count());
    assertEquals(1, b.epoch());
    assertThrows(IllegalArgumentException.class, () -> Batcher.builder(indexed(10), 11).build());
  }

  @Test
  void withoutShuffleTheOrderIsTheDatasetOrder() {
    Batcher b = Batcher.builder(indexed(10), 4).shuffle(false).dropLast(false).build();
    // batches of 4, 4, 2 (partial), then the next epoch
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3), take(b, 4));
  }

  @Test
  void shuffleIsUniformOverPermutations() {
    // 4 images: 24 orders, 24000 epochs, about 1000 each (sd 31). A biased shuffle (e.g. Sattolo's,
    // or j drawn from [0, n)) makes some orders impossible or about twice as likely.
    Batcher b = Batcher.builder(indexed(4), 4).seed(3).build();
    float[] x = new float[8];
    Map<String, Integer> counts = new HashMap<>();
    for (int e = 0; e < 24000; e++) {
      b.next(x, null);
      counts.merge((int) x[0] + "" + (int) x[2] + (int) x[4] + (int) x[6], 1, Integer::sum);
    }
    assertEquals(24, counts.size(), "every order occurs");
    for (Map.Entry<String, Integer> c : counts.entrySet()) {
      assertTrue(c.getValue() > 850 && c.getValue() < 1150, "order " + c.getKey() + " came " + c.getValue() + " times");
    }
  }

  @Test
  void restoredStateContinuesExactly() {
    Batcher a = Batcher.builder(indexed(50), 8).seed(99).dropLast(false).build();
    take(a, 11); // one epoch of 7 batches and 4 more
    String saved = a.state().encode();
    List<Integer> rest = take(a, 20);

    Batcher b = Batcher.builder(indexed(50), 8).seed(99).dropLast(false).build();
    b.restore(Batcher.State.parse(saved));
    assertEquals(1, b.epoch());
    assertEquals(4, b.batchInEpoch());
    assertEquals(rest, take(b, 20));

    Batcher other = Batcher.builder(indexed(50), 8).seed(100).dropLast(false).build();
    assertThrows(IllegalArgumentException.class, () -> other.restore(Batcher.State.parse(saved)), "other seed");
    assertThrows(IllegalArgumentException.class, () -> Batcher.State.parse("seed=1;epoch=x"));
    assertEquals(a.state(), Batcher.State.parse(a.state().encode()));
  }

  @Test
  void fillsTensorsLikeArrays() {
    Dataset d = indexed(20);
    Batcher arrays = Batcher.builder(d, 5).seed(5).build();
    Batcher tensors = Batcher.builder(d, 5).seed(5).build();
    float[] x = new float[10];
    int[] y = new int[5];
    try (Tensor tx = Tensor.zeros(Device.CPU, DType.FLOAT32, 5, 1, 2, 1);
        Tensor ty = Tensor.zeros(Device.CPU, DType.INT32, 5)) {
      for (int k = 0; k < 6; k++) {
        assertEquals(arrays.next(x, y), tensors.next(tx, ty));
        assertArrayEquals(x, tx.toFloatArray());
        assertArrayEquals(y, ty.toIntArray());
      }
      try (Tensor wrong = Tensor.zeros(Device.CPU, DType.FLOAT32, 5, 2, 1, 1)) {
        assertThrows(IllegalArgumentException.class, () -> tensors.next(wrong, ty));
      }
    }
  }

  @Test
  void refusesWrongBuffers() {
    Batcher b = Batcher.builder(indexed(20), 5).build();
    assertThrows(IllegalArgumentException.class, () -> b.next(new float[9], new int[5]));
    assertThrows(IllegalArgumentException.class, () -> b.next(new float[10], new int[4]));
    Dataset unlabelled = Dataset.ofFloat32("u", new float[20], 10, 1, 2, 1, null, List.of());
    Batcher u = Batcher.builder(unlabelled, 5).build();
    assertThrows(IllegalArgumentException.class, () -> u.next(new float[10], new int[5]));
    assertEquals(5, u.next(new float[10], null));
    assertFalse(unlabelled.hasLabels());
    assertThrows(IllegalArgumentException.class, () -> Batcher.builder(unlabelled, 0));
  }
}
