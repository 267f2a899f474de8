// Package hessblock is the root of the hessblock module: a reproducible
// benchmark and property-test suite for the block-diagonal structure of
// neural-network Hessians at random initialization (arXiv 2505.02809).
//
// The module's code lives in its sub-packages:
//
//   - theory: closed-form limit laws (Marchenko–Pastur, generalized MP,
//     the block-ratio scaling laws);
//   - numerics: finite-size Hessians, block statistics and spectra;
//   - cmd/hessblock: the command that reproduces the study.
//
// This package holds no code of its own; its tests (properties_test.go,
// golden_test.go) and benchmarks (bench_test.go) combine theory and numerics.
package hessblock
