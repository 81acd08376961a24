/**
 * Evaluation of trained models on test sets, independent of training: the VQ-VAE's reconstruction figures and
 * bits/dim bound, a prior's held-out NLL, and the pictures of a trained VQ-VAE.
 */
package ai.vq4j.eval;
