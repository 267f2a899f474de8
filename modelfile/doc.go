// Package modelfile reads a user's network, and optionally its data, from
// an .npz archive or a safetensors file, for `hessblock inspect -load`.
//
// # What a file holds
//
// Arrays by name:
//
//	W1 … WL   weights, W_l of shape n_l × n_{l−1} (out × in, like PyTorch's
//	          nn.Linear.weight); n_0 = d, n_L = C ≥ 2; 1 ≤ L ≤ 8
//	b1 … bL   biases, b_l of length n_l; each optional
//	X         data, N × d, one sample per row; optional
//	y         labels, length N, each in 0 … C−1; optional, but X and y
//	          come together
//
// Any other name is refused, and all such names are listed in the error
// (numpy's positional names arr_0, arr_1, … get a hint to pass the arrays
// by name). Names that look like ours but are malformed — W without an
// index, W0, W01, Wx, W9 — are refused with the reason. Layers must be
// numbered 1…L without gaps, and a bias needs its weight.
//
// Activation and loss are not arrays: the caller takes them from flags or
// from Model.Metadata, the __metadata__ of a safetensors file (keys
// "activation" and "loss"; npz files have no metadata).
//
// A file without X and y is read without error: the caller may supply the
// data by other means, and Model.RequireData says so when it cannot.
//
// # Formats
//
// Read tells the formats apart by content, not extension. An .npz is a
// zip archive (stored or deflated: np.savez and np.savez_compressed) of
// NAME.npy entries in .npy format 1.0, 2.0 or 3.0, little- or big-endian,
// C or Fortran order (Fortran-order arrays are transposed into row-major
// while streaming). A safetensors file is an 8-byte little-endian header
// length, a JSON header mapping each name to its dtype, shape and
// data_offsets (plus the optional __metadata__ of string values), and the
// data buffer; the header is checked strictly: no repeated or unknown
// keys, integer shapes and offsets, offsets that match dtype × shape and
// tile the buffer exactly (in range, no overlap, no hole).
//
// # Accepted dtypes
//
// W, b and X: float32 or float64 (npy '<f4', '<f8'; safetensors F32,
// F64). y: any integer dtype of 1, 2, 4 or 8 bytes, signed or unsigned;
// float labels are refused even when integral (convert them with
// y.astype(np.int64)), so that a regression target cannot pass for class
// labels. float16, bfloat16, float8, complex, bool, strings, objects and
// structured dtypes are refused by name. Every value must be finite: a
// NaN or ±Inf is refused with its array and position.
//
// # Memory
//
// The decoded size of every array (8 bytes per element: float64 values,
// int labels) is estimated from the headers and checked against maxBytes
// before any array is allocated; over it, the error is a
// *membudget.Error. The data is then streamed through one 64 KiB buffer
// straight into the destination slices (float32 widened on the fly): the
// file is never read whole, and no array exists twice, so loading takes
// the decoded size plus O(64 KiB). The safetensors JSON header is the one
// thing read whole (at most 100 MB, and within maxBytes).
package modelfile
