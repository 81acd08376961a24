// Vector-quantises 4x4 patches of real Fashion-MNIST images with vq4j's native ops: nearest-code argmin,
// usage statistics and the EMA codebook update (k-means by exponential moving averages).
// Needs only the vq4j jar:  java -cp target/vq4j-0.1.0-all.jar examples/QuantizePatches.java [images.gz]
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Ops;
import ai.vq4j.tensor.Tensor;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;

public class QuantizePatches {
  public static void main(String[] args) throws IOException {
    Path file = Path.of(args.length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
    int images = 4096, side = 28, patch = 4, d = patch * patch, k = 64;
    float[] pixels = readImages(file, images, side);
    int perSide = side / patch, rows = images * perSide * perSide;
    float[] vectors = new float[rows * d];
    for (int n = 0, r = 0; n < images; n++)
      for (int py = 0; py < perSide; py++)
        for (int px = 0; px < perSide; px++, r++)
          for (int y = 0; y < patch; y++)
            for (int x = 0; x < patch; x++)
              vectors[r * d + y * patch + x] = pixels[n * side * side + (py * patch + y) * side + px * patch + x];

    Random rng = new Random(7);
    float[] init = new float[k * d];
    for (int j = 0; j < k; j++) System.arraycopy(vectors, rng.nextInt(rows) * d, init, j * d, d);

    Device cpu = Device.CPU;
    System.out.printf("vq4j %s: %d patches of %dx%d from %s, K = %d codes%n", Device.nativeVersion(), rows, patch,
        patch, file, k);
    try (Tensor zE = Tensor.of(cpu, vectors, rows, d);
         Tensor codebook = Tensor.of(cpu, init, k, d);
         Tensor emaSum = Tensor.of(cpu, init, k, d);
         Tensor emaCount = Tensor.zeros(cpu, DType.FLOAT32, k);
         Tensor codes = Tensor.zeros(cpu, DType.INT32, rows);
         Tensor zQ = Tensor.zeros(cpu, DType.FLOAT32, rows, d);
         Tensor counts = Tensor.zeros(cpu, DType.FLOAT32, k);
         Tensor sums = Tensor.zeros(cpu, DType.FLOAT32, k, d);
         Tensor mse = Tensor.zeros(cpu, DType.FLOAT32, 1);
         Tensor perplexity = Tensor.zeros(cpu, DType.FLOAT32, 1)) {
      long start = System.nanoTime();
      for (int step = 0; step <= 20; step++) {
        Ops.vqQuantizeForward(zE, codebook, codes, zQ);
        Ops.vqLoss(zE, zQ, mse);
        Ops.vqCodeSums(codes, zE, counts, sums);
        Ops.vqStats(counts, perplexity);
        if (step % 4 == 0) {
          // PSNR over the [-0.5, 0.5] pixel range (peak-to-peak 1).
          System.out.printf("step %2d  patch MSE %.5f  PSNR %.2f dB  perplexity %.1f of %d%n", step, mse.item(),
              -10 * Math.log10(mse.item()), perplexity.item(), k);
        }
        Ops.vqEmaUpdate(counts, sums, emaCount, emaSum, codebook, 0.5f, 1e-5f);
      }
      System.out.printf("21 quantise + EMA steps over %d vectors in %.0f ms%n", rows, (System.nanoTime() - start) / 1e6);
    }
  }

  /** The first n images of a gzip'd IDX file, scaled to [-0.5, 0.5]. */
  static float[] readImages(Path file, int n, int side) throws IOException {
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(file)))) {
      int magic = in.readInt(), count = in.readInt(), h = in.readInt(), w = in.readInt();
      if (magic != 0x803 || h != side || w != side || count < n)
        throw new IOException(file + ": not an IDX file of " + n + " " + side + "x" + side + " images");
      byte[] raw = new byte[n * side * side];
      in.readFully(raw);
      float[] out = new float[raw.length];
      for (int i = 0; i < raw.length; i++) out[i] = (raw[i] & 0xff) / 255f - 0.5f;
      return out;
    }
  }
}
