/** The {@code vq4j} command line (picocli): train, eval, reconstruct, encode, decode, train-prior, sample. */
package ai.vq4j.cli;
