// Package kind names what hessblock studies: the model, its activation, the
// loss and the families of block pairs. It holds names only, so that theory
// (the laws) and numerics (the measurements) speak one vocabulary without
// importing each other.
//
// The names are the strings used on the command line, in JSON and in the
// golden tables; Parse* accept them (and a few aliases) case-insensitively:
//
//	m, err := kind.ParseModel("mlp")     // kind.MLP
//	a, err := kind.ParseActivation("relu") // kind.ReLU
//	f := kind.FamilyOf(kind.Hidden, kind.Output) // kind.HiddenOutput
package kind
