/**
 * Image data for training: readers for IDX (MNIST, Fashion-MNIST; gzip'd or raw), CIFAR-10 binary
 * batches and folders of PNG/JPEG ({@link ai.vq4j.data.IdxReader}, {@link ai.vq4j.data.Cifar10Reader},
 * {@link ai.vq4j.data.ImageFolderReader}, by usual file names in {@link ai.vq4j.data.Datasets}); the
 * in-memory NHWC {@link ai.vq4j.data.Dataset} with padding, scaling to [-0.5, 0.5], subsets and
 * statistics; and the seeded, resumable {@link ai.vq4j.data.Batcher}.
 *
 * <p>Files are never trusted: anything malformed is a {@link ai.vq4j.data.DatasetException} (an
 * {@code IOException}) whose message names the file and what is wrong, never a crash or silent garbage.
 */
package ai.vq4j.data;
