// Package figures draws the study's figures with gonum.org/v1/plot and
// renders them to PNG and SVG bytes: heatmaps of |H| with the block grid,
// log–log plots of measured points with error bars beside theory lines,
// and eigenvalue histograms with limit densities overlaid.
//
// Heatmaps colour log10|H| over a fixed number of decades below the
// largest entry: a linear colour scale would show only the diagonal of
// each block (the Gram matrix S has diagonal ≈ 1 and off-diagonal entries
// ≈ 1/√N), whereas the block-diagonal pattern is a difference of orders of
// magnitude between diagonal (≈ 1/C) and off-diagonal (≈ 1/C²) blocks.
//
// Output is deterministic: the same inputs give the same bytes.
package figures
