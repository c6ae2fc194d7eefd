/**
 * The σ-MoE feed-forward block of Csordás et al. 2023 (paper.md §1), sparse on the CPU.
 *
 * <ul>
 *   <li>{@link sigmoe.nn.moe.SigmaMoeFfn}: the layer (parameters {@code {prefix}.keys/.values/.expert_sel}, init,
 *       forward, backward) following the {@code sigmoe.nn} conventions.</li>
 *   <li>{@link sigmoe.nn.moe.EntropyReg}: the per-layer entropy regulariser with hooks for a global (all-worker)
 *       p.</li>
 *   <li>{@link sigmoe.nn.moe.ExpertStats}: additive expert-usage counts and the ratios derived from their sums.</li>
 *   <li>{@link sigmoe.nn.moe.MoeWorkspace}: scratch buffers one model can share across its σ-MoE layers.</li>
 * </ul>
 * Routing, bucketing and the row kernels are package-private ({@code Routing}, {@code RowOps}; blocks and workers run on {@code sigmoe.nn.RowParallel}).
 * Java loops run on the common fork-join pool; {@code -Dsigmoe.javaThreads=1} keeps them on the calling thread.
 * The same count bounds the expert workers of {@code ExpertLoop}, which run experts in parallel with OpenBLAS
 * switched to one thread for the loop (process-wide; restored afterwards), so javaThreads=1 also means one core
 * for the expert GEMMs.
 */
package sigmoe.nn.moe;
