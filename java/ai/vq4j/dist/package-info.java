/**
 * Data-parallel training across processes and machines: {@link ai.vq4j.dist.Communicator} (collectives on
 * tensors over Gloo for the CPU, NCCL for CUDA) and {@link ai.vq4j.dist.LaunchEnvironment} (rank, world size
 * and rendezvous from what torchrun, mpirun or Slurm set).
 */
package ai.vq4j.dist;
