// Package train trains the models of numerics with GD, SGD (optional
// momentum) or Adam from an explicit seed and records, at chosen
// checkpoints, the loss, accuracy, gradient norm and the Hessian's block
// statistics (numerics.Measure).
//
// Minibatches are drawn without replacement within an epoch from a seeded
// shuffle, on a random stream of their own, so the same seeds give
// bit-identical checkpoints and changing the minibatch seed never changes
// the data or the initialization.
//
// # Errors
//
// Invalid options (a learning rate that is not a finite positive number,
// a negative batch, a checkpoint outside [0, Steps]) and divergence (a
// loss or gradient that stops being finite) are errors; Run returns the
// checkpoints recorded before a divergence together with its error.
package train
