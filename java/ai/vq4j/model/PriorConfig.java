package ai.vq4j.model;

import ai.vq4j.tensor.Device;

/**
 * The shape of a prior over a VQ-VAE's codes, whatever its kind ({@link PixelCnnConfig}, {@link
 * TransformerConfig}): what it models (K codes on a grid, the classes it is conditioned on), its parameter
 * count before building, its JSON (what checkpoints store) and the model it builds.
 */
public interface PriorConfig {
  PriorKind kind();

  int numCodes();

  int gridSize();

  /** 0: unconditioned. */
  int numClasses();

  /** Fits the config to the codes it models: the VQ-VAE's K and latent grid, and the classes (0: none). */
  void fitCodes(int numCodes, int gridSize, int numClasses);

  /** Checks every field; an out-of-range one is an IllegalArgumentException naming it. */
  PriorConfig validate();

  /** The number of parameters the model of this config has, computed without building it. */
  long parameterCount();

  /** The network's shape in words, for the progress line ("8 gated layers of 64 channels, ..."). */
  String describe();

  String toJson();

  /** A new model of this config on the device, initialised from the config's seed. */
  Prior build(Device device);
}
