/**
 * The API for host applications: {@link ai.vq4j.api.VqVaeCodec} loads a trained VQ-VAE checkpoint and
 * turns images into code grids and back.
 */
package ai.vq4j.api;
