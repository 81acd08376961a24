package ai.vq4j.checkpoint;

import ai.vq4j.dist.Communicator;
import ai.vq4j.io.Safetensors;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.nn.Buffers;
import ai.vq4j.tensor.DType;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A dataset encoded to VQ-VAE codes: int32 codes [count, g, g] and optional int32 class labels [count], what the
 * PixelCNN prior trains on. Saved as a safetensors code cache whose metadata names the VQ-VAE checkpoint that
 * made it (its path, the SHA-256 of its bytes and its training step), so that a cache made by another or a
 * since retrained checkpoint is refused ({@link #load(Path, Path)}) instead of silently used.
 */
public final class CodeDataset {
  public static final String FORMAT = "vq4j-codes-1";

  private final int[] codes;
  private final int[] labels;
  private final int count;
  private final int grid;
  private final int numCodes;
  private final Source source;

  /** The VQ-VAE checkpoint a cache was encoded with: its path, the SHA-256 of its bytes, its step (-1: none). */
  public record Source(String checkpoint, String sha256, long step) {
    /** The identity of the checkpoint file as it is now. */
    public static Source of(Path checkpoint) throws IOException {
      long step = -1;
      VqVaeCheckpoint ck = VqVaeCheckpoint.read(checkpoint);
      if (ck.isTrainingCheckpoint()) {
        step = ck.step();
      }
      return new Source(checkpoint.toAbsolutePath().normalize().toString(), CodeDataset.sha256(checkpoint), step);
    }

    @Override
    public String toString() {
      return checkpoint + " (sha256 " + sha256 + (step >= 0 ? ", step " + step : "") + ")";
    }
  }

  /**
   * codes [count * g * g] (row-major grids), labels [count] or null, numCodes the VQ-VAE's K; source may be
   * null for codes of no checkpoint (tests).
   */
  public CodeDataset(int[] codes, int[] labels, int count, int grid, int numCodes, Source source) {
    if (count < 1 || grid < 1 || numCodes < 1) {
      throw new IllegalArgumentException("code dataset needs count, grid and K >= 1, got " + count + ", " + grid
          + ", " + numCodes);
    }
    if (codes.length != count * grid * grid) {
      throw new IllegalArgumentException("code dataset: " + codes.length + " codes for " + count + " grids of "
          + grid + "x" + grid);
    }
    if (labels != null && labels.length != count) {
      throw new IllegalArgumentException("code dataset: " + labels.length + " labels for " + count + " grids");
    }
    for (int i = 0; i < codes.length; i++) {
      if (codes[i] < 0 || codes[i] >= numCodes) {
        throw new IllegalArgumentException("code dataset: code " + codes[i] + " at " + i + " is outside [0, "
            + numCodes + ")");
      }
    }
    this.codes = codes.clone();
    this.labels = labels == null ? null : labels.clone();
    this.count = count;
    this.grid = grid;
    this.numCodes = numCodes;
    this.source = source;
  }

  /**
   * Encodes images [count, S, S, C] (NHWC float32 in [-0.5, 0.5], the VQ-VAE's image size and channels) with
   * the VQ-VAE, batchSize images at a time; labels [count] or null. source names the checkpoint the VQ-VAE was
   * loaded from (null: none).
   */
  public static CodeDataset encode(VqVae vae, float[] images, int count, int[] labels, int batchSize, Source source) {
    return encode(vae, images, count, labels, batchSize, source, null);
  }

  /**
   * As {@link #encode(VqVae, float[], int, int[], int, Source)}, split across comm's ranks (null: this process
   * alone): each rank encodes a contiguous run of the batches a single process encodes, the same images in the
   * same batches, so the codes are the same bits, and every rank receives all of them (one all-gather).
   */
  public static CodeDataset encode(VqVae vae, float[] images, int count, int[] labels, int batchSize, Source source,
      Communicator comm) {
    VqVaeConfig c = vae.config();
    int per = c.imageSize * c.imageSize * c.imageChannels;
    if (images.length != (long) count * per) {
      throw new IllegalArgumentException("encode: " + images.length + " floats for " + count + " images of "
          + c.imageSize + "x" + c.imageSize + "x" + c.imageChannels);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("encode: batch size must be >= 1, got " + batchSize);
    }
    int grid = c.latentSize() * c.latentSize();
    if (comm == null || comm.worldSize() == 1) {
      int[] codes = new int[count * grid];
      encodeRange(vae, images, 0, count, batchSize, codes);
      return new CodeDataset(codes, labels, count, c.latentSize(), c.numEmbeddings, source);
    }
    int batches = (count + batchSize - 1) / batchSize;
    int perRank = (batches + comm.worldSize() - 1) / comm.worldSize();
    int span = Math.multiplyExact(perRank, batchSize);
    int from = Math.min(count, comm.rank() * span);
    int[] mine = new int[Math.multiplyExact(span, grid)];
    encodeRange(vae, images, from, Math.min(count, from + span), batchSize, mine);
    // Rank r's run starts at image r * span, so the gathered runs are the codes in order, padding last.
    try (Tensor send = Tensor.ofInts(vae.device(), mine, mine.length);
         Tensor all = Tensor.zeros(vae.device(), DType.INT32, comm.worldSize(), mine.length)) {
      comm.allGather(send, all);
      int[] codes = Arrays.copyOf(all.toIntArray(), count * grid);
      return new CodeDataset(codes, labels, count, c.latentSize(), c.numEmbeddings, source);
    }
  }

  /** Encodes images [from, to) in batches of batchSize into codes[0 ..). */
  private static void encodeRange(VqVae vae, float[] images, int from, int to, int batchSize, int[] codes) {
    VqVaeConfig c = vae.config();
    int s = c.imageSize;
    int per = s * s * c.imageChannels;
    int grid = c.latentSize() * c.latentSize();
    Tensor x = null;
    try {
      for (int i = from; i < to; i += batchSize) {
        int b = Math.min(batchSize, to - i);
        x = Buffers.ensure(x, vae.device(), b, s, s, c.imageChannels);
        x.copyFrom(Arrays.copyOfRange(images, i * per, (i + b) * per));
        vae.quantizer().forward(vae.encode(x), false);
        System.arraycopy(vae.quantizer().codes().toIntArray(), 0, codes, (i - from) * grid, b * grid);
      }
    } finally {
      Buffers.close(x);
    }
  }

  /**
   * Rank 0's codes on every rank of comm: rank 0 passes its dataset or null, the others null; returns rank 0's
   * dataset (with source as the others' source), or null on every rank when rank 0 had none.
   */
  public static CodeDataset broadcast(Communicator comm, CodeDataset atRoot, Source source) {
    Device device = comm.device();
    int[] header = atRoot == null ? new int[4]
        : new int[] {atRoot.count, atRoot.grid, atRoot.numCodes, atRoot.labels == null ? 0 : 1};
    try (Tensor h = Tensor.ofInts(device, header, header.length)) {
      comm.broadcast(h, 0);
      header = h.toIntArray();
    }
    if (header[0] == 0) {
      return null;
    }
    int count = header[0];
    int[] codes = shared(comm, atRoot == null ? new int[count * header[1] * header[1]] : atRoot.codes);
    int[] labels = header[3] == 0 ? null : shared(comm, atRoot == null ? new int[count] : atRoot.labels);
    return comm.rank() == 0 ? atRoot : new CodeDataset(codes, labels, count, header[1], header[2], source);
  }

  private static int[] shared(Communicator comm, int[] values) {
    try (Tensor t = Tensor.ofInts(comm.device(), values, values.length)) {
      comm.broadcast(t, 0);
      return t.toIntArray();
    }
  }

  public int count() {
    return count;
  }

  public int gridSize() {
    return grid;
  }

  public int numCodes() {
    return numCodes;
  }

  public boolean hasLabels() {
    return labels != null;
  }

  /** The VQ-VAE checkpoint these codes came from, or null. */
  public Source source() {
    return source;
  }

  /** All codes [count * g * g] (a copy). */
  public int[] codes() {
    return codes.clone();
  }

  /** All labels [count] (a copy), or null. */
  public int[] labels() {
    return labels == null ? null : labels.clone();
  }

  /** The codes of the listed grids, in order, into dst [indices.length * g * g]. */
  public void gather(int[] indices, int from, int n, int[] codesOut, int[] labelsOut) {
    int per = grid * grid;
    for (int i = 0; i < n; i++) {
      int e = indices[from + i];
      System.arraycopy(codes, e * per, codesOut, i * per, per);
      if (labelsOut != null) {
        labelsOut[i] = labels[e];
      }
    }
  }

  /** Grids [from, to) as a dataset of their own (a held-out split, say). */
  public CodeDataset slice(int from, int to) {
    if (from < 0 || to > count || from >= to) {
      throw new IllegalArgumentException("slice [" + from + ", " + to + ") of " + count + " grids");
    }
    int per = grid * grid;
    return new CodeDataset(Arrays.copyOfRange(codes, from * per, to * per),
        labels == null ? null : Arrays.copyOfRange(labels, from, to), to - from, grid, numCodes, source);
  }

  /** Writes the cache atomically (safetensors: codes, labels; metadata: format, K, grid, count, the source). */
  public void save(Path file) throws IOException {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    tensors.put("codes", Safetensors.Entry.of(codes, count, grid, grid));
    if (labels != null) {
      tensors.put("labels", Safetensors.Entry.of(labels, count));
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("num_codes", Integer.toString(numCodes));
    meta.put("grid", Integer.toString(grid));
    meta.put("count", Integer.toString(count));
    if (source != null) {
      meta.put("vqvae_checkpoint", source.checkpoint());
      meta.put("vqvae_sha256", source.sha256());
      meta.put("vqvae_step", Long.toString(source.step()));
    }
    new Safetensors(tensors, meta).write(file);
  }

  /** Reads a code cache, checking its format and shapes (not its freshness: see {@link #load(Path, Path)}). */
  public static CodeDataset load(Path file) throws IOException {
    Safetensors st = Safetensors.read(file);
    Map<String, String> m = st.metadata();
    if (!FORMAT.equals(m.get("format"))) {
      throw new IOException(file + ": not a vq4j code cache (metadata format = " + m.get("format") + ", expected "
          + FORMAT + ")");
    }
    if (!st.has("codes") || !"I32".equals(st.tensors().get("codes").dtype()) || st.shape("codes").length != 3) {
      throw new IOException(file + ": tensor 'codes' is missing or not I32 [count, g, g]");
    }
    int[] shape = st.shape("codes");
    int[] labels = null;
    if (st.has("labels")) {
      if (!"I32".equals(st.tensors().get("labels").dtype())
          || !Arrays.equals(st.shape("labels"), new int[] {shape[0]})) {
        throw new IOException(file + ": tensor 'labels' must be I32 [" + shape[0] + "], got "
            + st.tensors().get("labels").dtype() + Arrays.toString(st.shape("labels")));
      }
      labels = st.ints("labels");
    }
    Source source = null;
    try {
      int k = Integer.parseInt(meta(file, m, "num_codes"));
      if (m.containsKey("vqvae_sha256")) {
        source = new Source(meta(file, m, "vqvae_checkpoint"), m.get("vqvae_sha256"),
            Long.parseLong(meta(file, m, "vqvae_step")));
      }
      if (shape[1] != shape[2]) {
        throw new IOException(file + ": code grids must be square, got " + Arrays.toString(shape));
      }
      return new CodeDataset(st.ints("codes"), labels, shape[0], shape[1], k, source);
    } catch (NumberFormatException e) {
      throw new IOException(file + ": metadata holds a malformed number: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a code cache and checks that it was encoded with this VQ-VAE checkpoint as it is now (same bytes);
   * a cache of another or a changed checkpoint is an IOException saying which.
   */
  public static CodeDataset load(Path file, Path vqvaeCheckpoint) throws IOException {
    CodeDataset d = load(file);
    Source now = Source.of(vqvaeCheckpoint);
    if (d.source == null) {
      throw new IOException(file + ": code cache names no VQ-VAE checkpoint, so it cannot be checked against "
          + now.checkpoint() + "; re-encode");
    }
    if (!d.source.sha256().equals(now.sha256())) {
      throw new IOException(file + ": stale code cache: it was encoded with " + d.source + ", but "
          + now.checkpoint() + " is now " + now + "; re-encode the codes");
    }
    return d;
  }

  private static String meta(Path file, Map<String, String> m, String key) throws IOException {
    String v = m.get(key);
    if (v == null) {
      throw new IOException(file + ": metadata has no '" + key + "'");
    }
    return v;
  }

  /** SHA-256 of a file's bytes, as lower-case hex. */
  public static String sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int r; (r = in.read(buf)) > 0; ) {
        md.update(buf, 0, r);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
