/**
 * Image data for training: readers for IDX (MNIST, Fashion-MNIST; gzip'd or raw), CIFAR-10 binary
 * batches, folders of PNG/JPEG and the emoji set ({@link ai.vq4j.data.IdxReader}, {@link
 * ai.vq4j.data.Cifar10Reader}, {@link ai.vq4j.data.ImageFolderReader}, {@link ai.vq4j.data.EmojiDataset}, by usual
 * file names in {@link ai.vq4j.data.Datasets}); the in-memory NHWC {@link ai.vq4j.data.Dataset} with padding,
 * scaling to [-0.5, 0.5], subsets and statistics; image files listed but not decoded ({@link
 * ai.vq4j.data.ImageFiles}), loaded or streamed from disk ({@link ai.vq4j.data.StreamedImages}); and the seeded,
 * resumable {@link ai.vq4j.data.Batcher} over either ({@link ai.vq4j.data.ImageSet}).
 *
 * <p>Files are never trusted: anything malformed is a {@link ai.vq4j.data.DatasetException} (an
 * {@code IOException}) whose message names the file and what is wrong, never a crash or silent garbage.
 */
package ai.vq4j.data;
