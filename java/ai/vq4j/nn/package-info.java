/**
 * Layers with explicit forward and backward passes (no autograd tape), after llm.c: each layer holds its
 * {@link ai.vq4j.nn.Parameter}s with their gradients, keeps a reference to the input it saw, and owns its
 * output and input-gradient tensors, allocated on the first call for a shape and reused for every later
 * call with that shape, so a training loop allocates nothing per step. A tensor a layer returns stays
 * valid until that layer's next call with another shape, or its {@link ai.vq4j.nn.Layer#close()}.
 */
package ai.vq4j.nn;
