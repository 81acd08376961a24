/** JMH benchmarks of the native ops and, later, of training steps; figures go to bench/RESULTS.md. */
package ai.vq4j.bench;
