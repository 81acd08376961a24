/**
 * The models: {@link ai.vq4j.model.VqVae} (encoder, quantizer, decoder) and its configuration with the
 * "sonnet" and "paper" presets.
 */
package ai.vq4j.model;
