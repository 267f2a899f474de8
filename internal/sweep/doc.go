// Package sweep runs grids of configurations and measures the block
// structure of each one's Hessian at initialization: R per block family,
// the off-block mass ρ and the spectral norms of a diagonal and an
// off-diagonal block (THEORY §4).
//
// A Spec is a Cartesian product of value lists; Expand turns it into
// Points in a fixed order, each with a canonical Key. A Shard i/n takes
// every n-th point (round-robin, so shards get similar mixes of cheap and
// expensive points) and is the same on every machine.
//
// Results are JSON lines, one Record per point. Run appends each line and
// fsyncs the file before moving on, so a kill loses at most the point in
// flight; rerunning Run on the same file skips the keys already present
// and drops a truncated last line left by a kill. Merge joins shard files
// into one file in grid order and fails if a point is missing, duplicated
// or foreign to the grid, so that an interrupted-and-resumed sweep merges
// to the same bytes as an uninterrupted one.
//
// Records hold no timings: the same point always gives the same line.
package sweep
