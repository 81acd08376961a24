/** File formats: safetensors for golden values and checkpoints. */
package ai.vq4j.io;
