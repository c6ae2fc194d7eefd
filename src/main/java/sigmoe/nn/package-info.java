/**
 * Layers written by hand over ND4J, each with its forward and backward side by side (llm.c style).
 *
 * <h2>Conventions every layer follows</h2>
 * <ul>
 *   <li>Parameters live in one {@link sigmoe.nn.ParamStore}; a layer registers its tensors (checkpoint names and
 *       PyTorch layouts, formats.md §2) in its constructor and reads the views after allocation.</li>
 *   <li>Activations are c-order 2-D arrays {@code [N, width]} of the store's data type; {@code N = B·T} rows
 *       ordered stream-major: row {@code b*T + t}.</li>
 *   <li>{@code forward} writes into buffers the layer owns (reused between calls, grown when N grows) and caches
 *       what backward needs. Returned arrays stay valid until the layer's next forward/backward.</li>
 *   <li>{@code backward(dOut)} <b>adds</b> parameter gradients into {@link sigmoe.nn.Param#grad()} (GEMM β = 1)
 *       and returns the input gradient in a layer-owned buffer.</li>
 *   <li>Matrix products go through {@code Nd4j.gemm} with transpose flags; everything else is a Java loop over
 *       {@link sigmoe.nn.Mem} (FLOAT in training, DOUBLE in the finite-difference gradient checks).</li>
 *   <li>Randomness (dropout, expert dropout) comes from an explicit {@link sigmoe.nn.Rng}; nothing is global.</li>
 *   <li>A method that reads or writes an array through a {@link sigmoe.nn.Mem} or NIO view ends with
 *       {@code Reference.reachabilityFence(array)}: the view does not keep the array alive, and a GC may otherwise
 *       let ND4J free its memory mid-loop (GcReachabilityTest shows it; ViewFenceLintTest enforces the rule).</li>
 * </ul>
 */
package sigmoe.nn;
